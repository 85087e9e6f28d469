// Diagnostic: Redis-side cost (INFO commandstats usec_per_call) of one EVALSHA per operation (enqueue of one
// message through the batch script and through enqueue_one, lease of one) with the operation's own script and with the whole script (and its bare preamble),
// next to BullMQ's Queue.add, sequential calls
// on a private redis-server without AOF. Usage: pnpm --filter @mq/redis exec tsx bench/script-cost.bench.ts
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { OPERATION_SCRIPTS } from "../src/operation-scripts";
import { SCRIPT } from "../src/script";
import { RedisServer } from "../test/redis-server";
const server = await RedisServer.start({});
const c = new Redis(server.port);
const sha = (await c.script("LOAD", SCRIPT)) as string;
const enqueueSha = (await c.script("LOAD", OPERATION_SCRIPTS.get("enqueue")!)) as string;
const enqueueOneSha = (await c.script("LOAD", OPERATION_SCRIPTS.get("enqueue_one")!)) as string;
const leaseSha = (await c.script("LOAD", OPERATION_SCRIPTS.get("lease")!)) as string;
const tiny = (await c.script("LOAD", "local t = redis.call('TIME') return 1")) as string;
const q = new Queue("b", { connection: { host: "127.0.0.1", port: server.port } });
await q.waitUntilReady();
// Variants take turns in blocks of 250 calls (20 blocks each): a slow spell of a shared machine hits them alike.
async function block(f: (i: number) => Promise<unknown>, from: number, n = 250): Promise<number> {
  await c.config("RESETSTAT");
  for (let i = from; i < from + n; i++) await f(i);
  const line = (await c.info("commandstats")).split("\n").find((l) => l.startsWith("cmdstat_evalsha:"))!;
  return Number(/usec_per_call=([\d.]+)/.exec(line)![1]);
}
const B = "{p:q}";
const CH = "1|abc|p:ready";
const payload = Buffer.alloc(250, 120);
const data = { i: 0, t: 0, body: "x".repeat(220) };
const variants: [string, (i: number) => Promise<unknown>][] = [
  ["tiny (TIME only)", () => c.evalsha(tiny, 0)],
  ["mq: unknown op (preamble)", () => c.evalsha(sha, 1, B, CH, "nosuch").catch(() => 0)],
  ["mq: enqueue 1, whole script", (i) => c.evalsha(sha, 1, B, CH, "enqueue", "1", `iw${i}`, payload, "", "", "0", "", "0", "", "", "{}", "")],
  ["mq: enqueue 1, batch script", (i) => c.evalsha(enqueueSha, 1, B, CH, "enqueue", "1", `ie${i}`, payload, "", "", "0", "", "0", "", "", "{}", "")],
  ["mq: enqueue 1 (enqueue_one)", (i) => c.evalsha(enqueueOneSha, 1, B, CH, "enqueue_one", "1", `io${i}`, payload, "", "", "0", "", "0", "", "", "{}", "")],
  ["bullmq: add", () => q.add("job", data)],
  ["mq: lease 1 (after enqueues)", () => c.evalsha(leaseSha, 1, B, CH, "lease", "1", "30000")],
];
const costs = new Map<string, number[]>(variants.map(([label]) => [label, []]));
for (const [, f] of variants) await block(f, 1e7, 200);
for (let b = 0; b < 20; b++) for (const [label, f] of variants) costs.get(label)!.push(await block(f, b * 250));
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
for (const [label, xs] of costs) console.log(label.padEnd(34), median(xs).toFixed(2), "µs/call (median of 20 blocks)");
await q.close(); await c.quit(); await server.destroy(); process.exit(0);
