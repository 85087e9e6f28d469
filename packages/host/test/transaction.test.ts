import { afterEach, describe, expect, it } from "vitest";
import { MQ_ERROR_CODES, type QueueHost } from "../src/index";
import { memoryHost } from "./support";

describe("transactions and ack + publish", () => {
  let host: QueueHost;
  afterEach(() => host?.stop());

  it("commits enqueues, publishes and acks together", async () => {
    host = memoryHost().host;
    await host.start();
    await host.bind("events", "audit");
    await host.enqueue("in", "job");
    const [d] = await host.receive("in");
    const value = await host.transaction((tx) => {
      tx.enqueue("out", { from: d!.message.id });
      tx.publish("events", "job-done");
      tx.ack(d!.receipt);
      return 42;
    });
    expect(value).toBe(42);
    expect((await host.stats("in")).inFlight).toBe(0);
    expect((await host.receive("out")).map((x) => x.message.payload)).toEqual([{ from: d!.message.id }]);
    expect((await host.receive("audit")).map((x) => x.message.payload)).toEqual(["job-done"]);
  });

  it("commits nothing when the function throws", async () => {
    host = memoryHost().host;
    await host.start();
    await host.enqueue("in", "job");
    const [d] = await host.receive("in", { leaseMs: 60_000 });
    await expect(
      host.transaction((tx) => {
        tx.enqueue("out", 1);
        tx.ack(d!.receipt);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect((await host.stats("out")).ready).toBe(0);
    await host.ack(d!.receipt);
  });

  it("commits nothing when one part is invalid: a stale receipt fails the whole transaction", async () => {
    host = memoryHost().host;
    await host.start();
    await host.enqueue("in", "job");
    const [d] = await host.receive("in");
    await host.ack(d!.receipt);
    await expect(host.transaction((tx) => (tx.enqueue("out", 1), tx.ack(d!.receipt)))).rejects.toMatchObject({ code: MQ_ERROR_CODES.LEASE_LOST });
    expect((await host.stats("out")).ready).toBe(0);
  });

  it("refuses to use a transaction object after it committed", async () => {
    host = memoryHost().host;
    await host.start();
    let leaked: { enqueue(q: string, p: unknown): void } | undefined;
    await host.transaction((tx) => {
      leaked = tx;
    });
    expect(() => leaked!.enqueue("q", 1)).toThrow(/already committed/);
  });
});
