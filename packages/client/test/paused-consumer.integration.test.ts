import { afterAll, expect, it } from "vitest";
import { PAUSED_WORKER, spawnNode, spawnServer, type Child } from "./fixtures/processes";
import { openClient, sleep, tempDir } from "./support";

// H6 with a real pause: a handle() worker process is SIGSTOPped mid-handler, so its lease
// heartbeats stop; the lease expires and another consumer takes the message and acks it.
// On SIGCONT the paused worker learns its lease is gone (its handler's signal aborts with
// LeaseLostError) and settles nothing: one successful ack, no redelivery after it.
const children: Child[] = [];
const data = tempDir("mq-client-h6-");
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  await Promise.all(children.map((c) => c.exited));
  data.cleanup();
});

it("H6: a worker paused past its lease loses it; the other consumer's ack stands, nothing is acked twice", async () => {
  const server = await spawnServer(data.dir);
  children.push(server);
  const client = await openClient(server.url);
  const worker = spawnNode([PAUSED_WORKER], { MQ_URL: server.url, MQ_QUEUE: "h6", MQ_LEASE_MS: "1500" });
  children.push(worker);
  await worker.waitFor(/^ready$/, 30_000);
  const { id } = await client.enqueue("h6", { n: 1 });
  await worker.waitFor(/^start 1$/, 30_000);
  // Running past its lease while not paused: the heartbeats keep it (nobody else gets it).
  await sleep(2_500);
  expect(await client.receive("h6", { max: 1, waitMs: 0 })).toEqual([]);
  worker.child.kill("SIGSTOP");
  // The lease ends within 1.5 s of the last heartbeat; the message comes back with attempt 2.
  const [again] = await client.receive<{ n: number }>("h6", { max: 1, waitMs: 10_000, leaseMs: 60_000 });
  expect(again?.message.id).toBe(id);
  expect(again?.attempt).toBe(2);
  await client.ack(again!.receipt);
  worker.child.kill("SIGCONT");
  await worker.waitFor(/^aborted /, 30_000);
  expect(worker.lines).toContain("aborted MQ_LEASE_LOST");
  await sleep(500);
  const stats = await client.stats("h6");
  expect([stats.totals.acked, stats.ready, stats.inFlight, stats.deadLettered]).toEqual([1, 0, 0, 0]);
  expect(worker.lines.filter((l) => l.startsWith("start"))).toEqual(["start 1"]);
  await client.close();
  worker.child.kill("SIGTERM");
  expect((await worker.exited).code).toBe(0);
  server.child.kill("SIGTERM");
  expect((await server.exited).code).toBe(0);
}, 120_000);
