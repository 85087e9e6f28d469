// Diagnostic: CPU per message of the throughput paths (bulk enqueue from 8 producers, then a
// drain at concurrency 32) for this build and, with MQ_BASE=/abs/path/index.js, another one,
// alternating on one private redis-server (AOF as MQ_FSYNC, default "always"). CPU per message
// is what a loaded machine distorts least; wall-clock msg/s is printed too.
// Usage: pnpm --filter @mq/redis exec tsx bench/drain-cost.bench.ts
import { createDispatcher } from "@mq/dispatcher";
import { Redis } from "ioredis";
import { redisBackend } from "../src/index";
import { RedisServer } from "../test/redis-server";

const FSYNC = (process.env.MQ_FSYNC ?? "always") as "always" | "everysec";
const N = Number(process.env.MQ_MESSAGES ?? 10_000);
const ROUNDS = Number(process.env.MQ_ROUNDS ?? 3);
type Make = typeof redisBackend;
const builds: Record<string, Make> = { now: redisBackend };
if (process.env.MQ_BASE !== undefined) builds.base = ((await import(process.env.MQ_BASE)) as { redisBackend: Make }).redisBackend;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function redisCpuMs(client: Redis): Promise<number> {
  const info = await client.info("cpu");
  const get = (k: string): number => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (get("used_cpu_user") + get("used_cpu_sys")) * 1000;
}

const server = await RedisServer.start({ appendfsync: FSYNC });
const admin = new Redis(server.port);
const out: Record<string, Record<string, number[]>> = {};
const body = "x".repeat(220);
try {
  for (let round = 0; round < ROUNDS; round++) {
    const names = Object.keys(builds);
    for (const name of names.map((_, k) => names[(k + round) % names.length]!)) {
      await admin.flushall();
      const b = builds[name]!({ connection: { host: "127.0.0.1", port: server.port }, prefix: "dc" });
      await b.open();
      const rec = (out[name] ??= {});
      const measure = async (label: string, work: () => Promise<void>): Promise<void> => {
        const r0 = await redisCpuMs(admin);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await work();
        const s = (performance.now() - t0) / 1000;
        const c = process.cpuUsage(c0);
        const r = (await redisCpuMs(admin)) - r0;
        (rec[`${label} msg/s`] ??= []).push(N / s);
        (rec[`${label} node µs/msg`] ??= []).push((c.user + c.system) / N);
        (rec[`${label} redis µs/msg`] ??= []).push((r * 1000) / N);
      };
      let taken = 0;
      await measure("bulk-8", async () => {
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (taken < N / 100) {
              taken++;
              await b.enqueue(Array.from({ length: 100 }, (_, i) => ({ queue: "q", payload: { i, t: 0, body } })));
            }
          }),
        );
      });
      const d = createDispatcher(b);
      await measure("drain-c32", async () => {
        let done = 0;
        await new Promise<void>((resolve) => {
          d.events.on("succeeded", () => void (++done === N && resolve()));
          d.handle("q", async () => undefined, { maxParallelism: 32 });
          d.start();
        });
      });
      await d.stop();
      await b.close();
    }
  }
  console.log(`appendfsync ${FSYNC}, ${N} messages, medians of ${ROUNDS} rounds:`);
  for (const key of Object.keys(out.now!)) console.log(`  ${key.padEnd(26)} ${Object.keys(out).map((n) => `${n} ${median(out[n]![key]!).toFixed(0)}`).join("  ")}`);
} finally {
  admin.disconnect();
  await server.destroy();
}
process.exit(0);
