// What keepCompleted costs per message: 20,000 messages per round through enqueue (batches of 100), receive
// (100) and ack (100, each with a handler result) on a queue without keepCompleted (results given, not
// sent), one with no results at all, and one that keeps completions (count 1,000, so every ack trims).
// Best of rounds 2–5, wall time and Redis script time (INFO commandstats). Run: pnpm --filter @mq/redis bench:kept
import { redisBackend } from "../src/index";
import { RedisServer } from "../test/redis-server";
const server = await RedisServer.start({ appendfsync: "everysec" });
process.on("exit", () => void server.destroy()); // never leave the private redis-server behind
const b = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "bench" });
await b.open();
await b.configureQueue("kept", { keepCompleted: { count: 1_000 } });
const N = 20_000;
const best = new Map<string, number>();
for (const round of [1, 2, 3, 4, 5]) for (const queue of ["plain", "noresults", "kept"]) {
  await b.client.config("RESETSTAT");
  const t0 = performance.now();
  for (let i = 0; i < N; i += 100) {
    await b.enqueue(Array.from({ length: 100 }, (_, k) => ({ queue, payload: { n: i + k } })));
    const got = await b.receive(queue, { max: 100, leaseMs: 60_000 });
    await b.ack(got.map((g) => g.receipt), [], queue === "noresults" ? undefined : { results: got.map((g) => ({ ok: true, n: (g.message.payload as { n: number }).n })) });
  }
  const ms = performance.now() - t0;
  const st = (await b.client.info("commandstats")).split("\n").find((l) => l.includes("evalsha")) ?? "";
  const redisUs = Number(/usec=(\d+)/.exec(st)?.[1] ?? 0) / N;
  if (round > 1) best.set(queue, Math.min(best.get(queue) ?? Infinity, (ms * 1000) / N));
  if (round > 1) best.set(`${queue} (redis script time)`, Math.min(best.get(`${queue} (redis script time)`) ?? Infinity, redisUs));
}
for (const [q, us] of best) console.log(`${q}: best ${us.toFixed(1)} µs per message over 4 rounds`);
await b.close();
await server.destroy();
