// Diagnostic: Redis-side cost (INFO commandstats usec_per_call) of one EVALSHA of the script per operation
// (enqueue of one message, lease of one, the bare preamble) next to BullMQ's Queue.add, sequential calls
// on a private redis-server without AOF. Usage: pnpm --filter @mq/redis exec tsx bench/script-cost.bench.ts
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { SCRIPT } from "../src/script";
import { RedisServer } from "../test/redis-server";
const server = await RedisServer.start({});
const c = new Redis(server.port);
const sha = (await c.script("LOAD", SCRIPT)) as string;
const tiny = (await c.script("LOAD", "local t = redis.call('TIME') return 1")) as string;
const q = new Queue("b", { connection: { host: "127.0.0.1", port: server.port } });
await q.waitUntilReady();
async function cost(label: string, f: (i: number) => Promise<unknown>, n = 4000): Promise<void> {
  for (let i = 0; i < 200; i++) await f(i + 1e6);
  await c.config("RESETSTAT");
  for (let i = 0; i < n; i++) await f(i);
  const line = (await c.info("commandstats")).split("\n").find((l) => l.startsWith("cmdstat_evalsha:"))!;
  console.log(label.padEnd(34), /usec_per_call=([\d.]+)/.exec(line)![1], "µs/call");
}
const B = "{p:q}";
const CH = "p:ready|abc|1";
const payload = Buffer.alloc(250, 120);
const data = { i: 0, t: 0, body: "x".repeat(220) };
for (let r = 0; r < 3; r++) {
  await cost("tiny (TIME only)", () => c.evalsha(tiny, 0));
  await cost("mq: unknown op (preamble)", () => c.evalsha(sha, 1, B, CH, "nosuch").catch(() => 0));
  await cost("mq: enqueue 1", (i) => c.evalsha(sha, 1, B, CH, "enqueue", "1", `id${r}-${i}`, payload, "", "", "0", "", "0", "", "", "{}", ""));
  await cost("bullmq: add", () => q.add("job", data));
  await cost("mq: lease 1 (after enqueues)", () => c.evalsha(sha, 1, B, CH, "lease", "1", "30000"));
}
await q.close(); await c.quit(); await server.destroy(); process.exit(0);
