import { LeaseLostError, PersistenceError } from "@mq/core";
import type { EnqueueItem, QueueBackend } from "@mq/core";
import { describe, expect, it } from "vitest";
import { AckBatcher } from "./ack-batcher";

/** A backend whose ack fails for chosen receipts (all-or-nothing, like the contract). */
function fakeBackend(fail: (receipts: readonly string[]) => Error | undefined) {
  const calls: { receipts: string[]; publish: EnqueueItem[] }[] = [];
  const backend = {
    ack: async (receipts: readonly string[], publish: readonly EnqueueItem[] = []) => {
      calls.push({ receipts: [...receipts], publish: [...publish] });
      const error = fail(receipts);
      if (error !== undefined) throw error;
    },
  } as unknown as QueueBackend;
  return { backend, calls };
}

const settle = (p: Promise<void>) => p.then(() => "ok", (e: unknown) => e);

describe("AckBatcher", () => {
  it("sends the acks of one burst as one call, publishes included", async () => {
    const { backend, calls } = fakeBackend(() => undefined);
    const batcher = new AckBatcher(backend);
    const results = await Promise.all([
      batcher.ack("r1", [{ queue: "a", payload: 1 }]),
      batcher.ack("r2", undefined),
      batcher.ack("r3", [{ queue: "b", payload: 3 }]),
    ]);
    expect(results).toEqual([undefined, undefined, undefined]);
    expect(calls).toEqual([{ receipts: ["r1", "r2", "r3"], publish: [{ queue: "a", payload: 1 }, { queue: "b", payload: 3 }] }]);
  });

  it("retries each ack alone when the batch fails for one message", async () => {
    const { backend, calls } = fakeBackend((receipts) => (receipts.includes("stale") ? new LeaseLostError("stale") : undefined));
    const batcher = new AckBatcher(backend);
    const results = await Promise.all([settle(batcher.ack("r1", undefined)), settle(batcher.ack("stale", undefined)), settle(batcher.ack("r3", undefined))]);
    expect(results[0]).toBe("ok");
    expect(results[1]).toBeInstanceOf(LeaseLostError);
    expect(results[2]).toBe("ok");
    expect(calls.map((c) => c.receipts)).toEqual([["r1", "stale", "r3"], ["r1"], ["stale"], ["r3"]]);
  });

  it("rejects the whole batch on an indeterminate persistence failure, without retrying", async () => {
    const error = new PersistenceError("fsync failed", "EIO");
    const { backend, calls } = fakeBackend(() => error);
    const batcher = new AckBatcher(backend);
    const results = await Promise.all([settle(batcher.ack("r1", undefined)), settle(batcher.ack("r2", undefined))]);
    expect(results).toEqual([error, error]);
    expect(calls).toHaveLength(1);
  });

  it("starts a new batch after a flush", async () => {
    const { backend, calls } = fakeBackend(() => undefined);
    const batcher = new AckBatcher(backend);
    await batcher.ack("r1", undefined);
    await batcher.ack("r2", undefined);
    expect(calls.map((c) => c.receipts)).toEqual([["r1"], ["r2"]]);
  });
});
