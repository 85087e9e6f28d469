import { afterAll, expect, it } from "vitest";
import { spawnServer, type Child } from "./fixtures/processes";
import { openClient, sleep, tempDir } from "./support";

// kill -9 of the server process mid-load loses nothing acknowledged: every enqueue
// the server confirmed is acked or comes back after the restart, and no message
// whose ack the server confirmed is delivered again. Counted exactly, client side.
const children: Child[] = [];
const data = tempDir("mq-server-crash-");
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  await Promise.all(children.map((c) => c.exited));
  data.cleanup();
});

it("loses nothing acknowledged across kill -9 of the server under load", async () => {
  const confirmed = new Set<number>(); // enqueue resolved
  const acked = new Set<number>(); // ack resolved
  const ackUnknown = new Set<number>(); // ack failed with a connection error: outcome unknown
  let next = 0;
  const cycles = process.env.MQ_LONG === "1" ? 20 : 3;
  for (let cycle = 0; cycle < cycles; cycle++) {
    const server = await spawnServer(data.dir);
    children.push(server);
    const client = await openClient(server.url, { timeoutMs: 5_000 });
    let running = true;
    const producer = (async () => {
      while (running) {
        const batch = Array.from({ length: 20 }, () => next++);
        try {
          await client.enqueueBatch(batch.map((n) => ({ queue: "crash", payload: { n } })));
          for (const n of batch) confirmed.add(n);
        } catch {
          return; // outcome unknown: these numbers are neither confirmed nor required
        }
      }
    })();
    const consumer = (async () => {
      while (running) {
        let got;
        try {
          got = await client.receive<{ n: number }>("crash", { max: 20, leaseMs: 30_000, waitMs: 100 });
        } catch {
          return;
        }
        if (got.length === 0) continue;
        const ns = got.map((d) => d.message.payload.n);
        try {
          await client.ack(got.map((d) => d.receipt));
          for (const n of ns) acked.add(n);
        } catch {
          for (const n of ns) ackUnknown.add(n);
          return;
        }
      }
    })();
    await sleep(400 + cycle * 150);
    server.child.kill("SIGKILL");
    await server.exited;
    running = false;
    await Promise.all([producer, consumer]);
    await client.close();
  }
  // Recover and drain everything that is left.
  const server = await spawnServer(data.dir);
  children.push(server);
  const client = await openClient(server.url);
  const recovered = new Set<number>();
  for (;;) {
    const got = await client.receive<{ n: number }>("crash", { max: 100, leaseMs: 60_000, waitMs: 200 });
    if (got.length === 0) break;
    for (const d of got) recovered.add(d.message.payload.n);
    await client.ack(got.map((d) => d.receipt));
  }
  const lost = [...confirmed].filter((n) => !acked.has(n) && !ackUnknown.has(n) && !recovered.has(n));
  const redelivered = [...acked].filter((n) => recovered.has(n));
  console.log(`crash: ${cycles} kill -9 cycles, ${confirmed.size} enqueues and ${acked.size} acks confirmed, ${ackUnknown.size} acks unknown, ${recovered.size} recovered; lost ${lost.length}, acked-then-redelivered ${redelivered.length}`);
  expect(confirmed.size).toBeGreaterThan(0);
  expect(acked.size).toBeGreaterThan(0);
  expect(lost).toEqual([]);
  expect(redelivered).toEqual([]);
  await client.close();
  server.child.kill("SIGTERM");
  expect((await server.exited).code).toBe(0);
});
