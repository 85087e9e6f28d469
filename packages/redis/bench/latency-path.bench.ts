// Diagnostic: where the enqueue → handler-start time goes, next to BullMQ, on one private
// redis-server (AOF as MQ_FSYNC, default "always"). Interleaves the products in small chunks
// so a loaded machine hurts both alike. Prints per-call latency (p50/p99) of:
//   floor   one EVALSHA of a tiny script (HSET + PUBLISH) on a plain ioredis client
//   bullmq  Queue.add
//   mq      backend.enqueue (one item)
// and the Redis-side cost per call (INFO commandstats usec_per_call), then the
// paced (1,000 msg/s) enqueue → start path of @mq/redis split into its steps.
// Usage: pnpm --filter @mq/redis exec tsx bench/latency-path.bench.ts
import { createDispatcher } from "@mq/dispatcher";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { redisBackend } from "../src/index";
import { RedisServer } from "../test/redis-server";

const FSYNC = (process.env.MQ_FSYNC ?? "always") as "always" | "everysec";
const CALLS = Number(process.env.MQ_CALLS ?? 1000);
const CHUNK = 50;

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;
const fmt = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(3)} ms  p99 ${pct(xs, 99).toFixed(3)} ms  (${xs.length})`;

async function commandStats(client: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const out = new Map<string, { calls: number; usec: number }>();
  for (const line of (await client.info("commandstats")).split("\n")) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (m) out.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return out;
}

const ROUNDS = Number(process.env.MQ_ROUNDS ?? 2);

/** Redis's CPU time so far (user + sys), ms. */
async function redisCpu(client: Redis): Promise<number> {
  const info = await client.info("cpu");
  const get = (k: string): number => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (get("used_cpu_user") + get("used_cpu_sys")) * 1000;
}

/** One producer and one consumer in this process, 1,000 msg/s, `performance.now()` in the payload. */
async function paced(product: "mq" | "bullmq", port: number): Promise<{ reply: number[]; start: number[]; count: number }> {
  const warm = 100;
  const total = warm + Number(process.env.MQ_SAMPLES ?? 1000);
  const reply: number[] = [];
  const start: number[] = [];
  let started = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const onStart = (p: { i: number; t: number }): void => {
    if (p.i >= warm) start.push(performance.now() - p.t);
    if (++started === total) finish();
  };
  let enqueue: (p: { i: number; t: number; body: string }) => Promise<unknown>;
  let close: () => Promise<void>;
  if (product === "mq") {
    const backend = redisBackend({ connection: { host: "127.0.0.1", port }, prefix: "lp" });
    await backend.open();
    const dispatcher = createDispatcher(backend);
    dispatcher.handle<{ i: number; t: number }>("paced", (p) => onStart(p));
    dispatcher.start();
    enqueue = (p) => backend.enqueue([{ queue: "paced", payload: p }]);
    close = async () => {
      await dispatcher.stop();
      await backend.close();
    };
  } else {
    const connection = { host: "127.0.0.1", port };
    const queue = new Queue("paced", { connection });
    const worker = new Worker<{ i: number; t: number }>("paced", async (job) => onStart(job.data), { connection });
    await worker.waitUntilReady();
    enqueue = (p) => queue.add("job", p);
    close = async () => {
      await worker.close();
      await queue.close();
    };
  }
  const begin = performance.now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = begin + i - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    pending.push(enqueue({ i, t, body: "x".repeat(220) }).then(() => i >= warm && reply.push(performance.now() - t)));
  }
  await Promise.all(pending);
  await finished;
  await close();
  return { reply, start, count: total };
}

async function main(): Promise<void> {
  const server = await RedisServer.start({ appendfsync: FSYNC });
  const admin = new Redis(server.port);
  try {
    const floorClient = new Redis(server.port);
    floorClient.defineCommand("tiny", { numberOfKeys: 1, lua: "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); redis.call('PUBLISH', 'x', KEYS[1]); return 1" });
    const queue = new Queue("lp", { connection: { host: "127.0.0.1", port: server.port } });
    await queue.waitUntilReady();
    const backend = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "lp" });
    await backend.open();
    const payload = { i: 0, t: 0, body: "x".repeat(220) };
    const runs: Record<string, { lat: number[]; usec: number; calls: number; cmds: Map<string, number> }> = {};
    const products: Record<string, (i: number) => Promise<unknown>> = {
      floor: (i) => (floorClient as unknown as { tiny: (k: string, f: string, v: string) => Promise<unknown> }).tiny("h", String(i), JSON.stringify(payload)),
      bullmq: () => queue.add("job", payload),
      mq: () => backend.enqueue([{ queue: "lp", payload }]),
    };
    for (const name of Object.keys(products)) runs[name] = { lat: [], usec: 0, calls: 0, cmds: new Map() };
    for (let i = 0; i < 20; i++) for (const f of Object.values(products)) await f(i); // warm: scripts loaded, JIT
    for (let done = 0; done < CALLS; done += CHUNK) {
      for (const [name, f] of Object.entries(products)) {
        const before = await commandStats(admin);
        for (let k = 0; k < CHUNK; k++) {
          const t = performance.now();
          await f(done + k);
          runs[name]!.lat.push(performance.now() - t);
        }
        const after = await commandStats(admin);
        for (const [cmd, s] of after) {
          if (cmd === "info") continue;
          const b = before.get(cmd) ?? { calls: 0, usec: 0 };
          if (s.calls === b.calls) continue;
          runs[name]!.cmds.set(cmd, (runs[name]!.cmds.get(cmd) ?? 0) + s.calls - b.calls);
          if (cmd === "evalsha") runs[name]!.usec += s.usec - b.usec; // inclusive of the commands it runs
        }
        runs[name]!.calls += CHUNK;
      }
    }
    console.log(`single awaited enqueue, appendfsync ${FSYNC}, ${CALLS} calls each, interleaved in chunks of ${CHUNK}:`);
    for (const [name, r] of Object.entries(runs)) {
      console.log(`  ${name.padEnd(7)} ${fmt(r.lat)}  EVALSHA ${(r.usec / r.calls).toFixed(1)} µs/enqueue in Redis; commands per enqueue: ${[...r.cmds].map(([c, n]) => `${c} ${(n / r.calls).toFixed(2)}`).join(", ")}`);
    }
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    floorClient.disconnect();

    // ---- the paced path: time and CPU per message, both products, alternating -----------------
    await backend.close();
    for (let round = 0; round < ROUNDS; round++) {
      for (const product of round % 2 === 0 ? (["mq", "bullmq"] as const) : (["bullmq", "mq"] as const)) {
        await admin.flushall();
        const redisCpu0 = await redisCpu(admin);
        const cpu0 = process.cpuUsage();
        const r = await paced(product, server.port);
        const cpu = process.cpuUsage(cpu0);
        const redisMs = (await redisCpu(admin)) - redisCpu0;
        console.log(`paced 1,000 msg/s ${product.padEnd(6)} enqueue→reply ${fmt(r.reply)} | enqueue→start ${fmt(r.start)} | CPU/msg: node ${((cpu.user + cpu.system) / r.count).toFixed(0)} µs, redis ${((redisMs * 1000) / r.count).toFixed(0)} µs`);
      }
    }
  } finally {
    admin.disconnect();
    await server.destroy();
  }
}

await main();
process.exit(0);
