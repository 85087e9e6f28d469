import { createFilePersistence } from "@mq/journal";
import { createFaultFs, type FaultFs } from "@mq/journal/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createQueueHost, type QueueHost } from "../src/index";

// Issue 12: in `batch` durability an enqueue that meets a waiting consumer costs one fdatasync
// before the handler starts, not two: its create and the lease are one journal record.

const syncs = (fs: FaultFs): number => fs.calls.fdatasync ?? 0;
const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));
let host: QueueHost | undefined;

function fileHost(fs: FaultFs): QueueHost {
  host = createQueueHost({ persistence: createFilePersistence({ dataDir: "/data", fs, durability: "batch", snapshotEveryMs: 0, snapshotEveryOps: 0 }) });
  return host;
}

afterEach(async () => {
  await host?.stop().catch(() => undefined);
  host = undefined;
});

describe("enqueue meets a waiting consumer (batch durability)", () => {
  it("a long-poll receive gets the message after the one fdatasync that makes the enqueue durable", async () => {
    const fs = createFaultFs();
    const h = fileHost(fs);
    await h.start();
    for (let i = 0; i < 10; i++) {
      const waiting = h.backend.receive("q", { max: 1, leaseMs: 30_000, waitMs: 10_000 });
      await tick();
      const before = syncs(fs);
      // Another append earlier in the same tick (a delayed message wakes nobody) starts the journal's
      // round before the engine's ready-queue microtask would run: the lease must still join the create.
      void h.enqueue("later", i, { delayMs: 60_000 });
      const enqueued = h.enqueue("q", i);
      const got = await waiting;
      expect(syncs(fs) - before).toBe(1);
      await enqueued;
      expect(syncs(fs) - before).toBe(1);
      expect(got.map((d) => d.message.payload)).toEqual([i]);
      expect(got[0]!.attempt).toBe(1);
      await h.backend.ack([got[0]!.receipt]);
    }
  });

  it("a handle() worker starts the message after one fdatasync", async () => {
    const fs = createFaultFs();
    const h = fileHost(fs);
    let before = 0;
    const seen: number[] = [];
    h.handle("q", () => {
      seen.push(syncs(fs) - before);
    });
    await h.start();
    for (let i = 0; i < 10; i++) {
      await tick(20);
      before = syncs(fs);
      void h.enqueue("later", i, { delayMs: 60_000 });
      await h.enqueue("q", i);
      await expect.poll(() => seen.length).toBe(i + 1);
    }
    expect(seen).toEqual(Array.from({ length: 10 }, () => 1));
  });
});
