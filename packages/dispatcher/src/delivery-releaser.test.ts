import { silentLogger } from "@mq/core";
import { createManualClock } from "@mq/core/testing";
import { describe, expect, it } from "vitest";
import { MemoryBackend } from "../test/support/memory-backend";
import { DeliveryReleaser } from "./delivery-releaser";

async function setup() {
  const clock = createManualClock();
  const backend = new MemoryBackend({ clock });
  await backend.open();
  const reported: string[] = [];
  const releaser = new DeliveryReleaser({ queue: "q", backend, logger: silentLogger, reportError: (operation) => void reported.push(operation) });
  return { clock, backend, releaser, reported };
}

describe("DeliveryReleaser", () => {
  it("hands a batch back in one call: ready at once, attempts restored, no retry counted", async () => {
    const { backend, releaser } = await setup();
    await backend.enqueue([{ queue: "q", payload: 1 }, { queue: "q", payload: 2 }]);
    releaser.release(await backend.receive("q", { max: 2, leaseMs: 1_000 }));
    await releaser.settled();
    const stats = await backend.stats("q");
    expect([stats.ready, stats.inFlight, stats.totals.retried]).toEqual([2, 0, 0]);
    expect((await backend.receive("q", { max: 2, leaseMs: 1_000 })).map((d) => d.attempt)).toEqual([1, 1]);
  });

  it("when one receipt in the batch is stale, still hands back the others, quietly", async () => {
    const { clock, backend, releaser, reported } = await setup();
    await backend.enqueue([{ queue: "q", payload: "stale" }]);
    const [stale] = await backend.receive("q", { max: 1, leaseMs: 100 });
    clock.advance(100); // its lease ends: the receipt is fenced
    await backend.enqueue([{ queue: "q", payload: "a" }, { queue: "q", payload: "b" }]);
    const fresh = await backend.receive("q", { max: 2, leaseMs: 1_000 });
    expect(fresh.map((d) => d.message.payload)).toEqual(["stale", "a"]);
    releaser.release([stale!, ...fresh]);
    await releaser.settled();
    expect((await backend.stats("q")).inFlight).toBe(0);
    expect(reported).toEqual([]);
  });

  it("reports an unexpected failure", async () => {
    const { backend, releaser, reported } = await setup();
    await backend.enqueue([{ queue: "q", payload: 1 }]);
    const deliveries = await backend.receive("q", { max: 1, leaseMs: 1_000 });
    backend.release = () => Promise.reject(new Error("disk on fire"));
    releaser.release(deliveries);
    await releaser.settled();
    expect(reported).toEqual(["release"]);
  });
});
