import { afterAll, expect, it } from "vitest";
import { spawnNode, spawnServer, WS_CONSUMER, type Child } from "./fixtures/processes";
import { openClient, sleep, tempDir } from "./support";

// H5: SIGKILL a WebSocket consumer process holding K leases: all K are redelivered
// after their visibility timeout, attempt + 1, credits freed, nothing lost.
const children: Child[] = [];
const data = tempDir("mq-h5-");
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  await Promise.all(children.map((c) => c.exited));
  data.cleanup();
});

it("H5: a SIGKILLed WebSocket consumer's leases come back after the visibility timeout, attempt + 1", async () => {
  const server = await spawnServer(data.dir);
  children.push(server);
  const client = await openClient(server.url);
  const cycles = process.env.MQ_LONG === "1" ? 100 : 5;
  const K = 7;
  for (let cycle = 0; cycle < cycles; cycle++) {
    const queue = `h5-${cycle}`;
    await client.enqueueBatch(Array.from({ length: K + 3 }, (_, n) => ({ queue, payload: { n } })));
    const consumer = spawnNode([WS_CONSUMER], { MQ_URL: server.url, MQ_QUEUE: queue, MQ_CREDIT: String(K), MQ_VISIBILITY_MS: "800" });
    children.push(consumer);
    await consumer.waitFor(/^got /);
    while (consumer.lines.filter((l) => l.startsWith("got")).length < K) await sleep(10);
    await sleep(50);
    // The server never sent more than the credit.
    expect(consumer.lines.filter((l) => l.startsWith("got"))).toHaveLength(K);
    consumer.child.kill("SIGKILL");
    await consumer.exited;
    expect((await client.stats(queue)).inFlight).toBe(K);
    await sleep(1_000);
    const again = await client.receive<{ n: number }>(queue, { max: 100, leaseMs: 60_000 });
    expect(again).toHaveLength(K + 3);
    const redelivered = again.filter((d) => d.attempt === 2);
    expect(redelivered).toHaveLength(K);
    await client.ack(again.map((d) => d.receipt));
    const stats = await client.stats(queue);
    expect([stats.ready, stats.inFlight, stats.totals.acked]).toEqual([0, 0, K + 3]);
  }
  await client.close();
  server.child.kill("SIGTERM");
  expect((await server.exited).code).toBe(0);
});
