import { createManualClock } from "@mq/core/testing";
import { describe, expect, it } from "vitest";
import { createMemoryPersistence, createMemoryStore } from "@mq/journal/memory";
import { createQueueHost } from "../src/index";
import { memoryHost, tempDir } from "./support";
import { hostInternals } from "../src/testing";

describe("recovery", () => {
  it("restores ready order, delayed due times, the dedup index and dead letters", async () => {
    const clock = createManualClock();
    const { host, restart } = memoryHost({ clock });
    await host.start();
    await host.enqueue("q", "p0-a");
    await host.enqueue("q", "p5", { priority: 5 });
    await host.enqueue("q", "p0-b", { key: "K" });
    await host.enqueue("q", "delayed", { delayMs: 10_000 });
    await host.enqueue("bad", "dies");
    const [bad] = await host.receive("bad");
    await host.nack(bad!.receipt, { deadLetter: true, reason: { name: "Error", message: "nope" } });
    await host.stop();

    const again = restart();
    await again.start();
    expect(await again.enqueue("q", "p0-b v2", { key: "K" })).toMatchObject({ status: "replaced", version: 2 });
    expect((await again.receive("q", { max: 10 })).map((d) => d.message.payload)).toEqual(["p5", "p0-a", "p0-b v2"]);
    expect((await again.deadLetters.list()).items[0]).toMatchObject({ reason: "rejected", error: { message: "nope" } });
    clock.advance(10_000);
    expect((await again.receive("q")).map((d) => d.message.payload)).toEqual(["delayed"]);
    await again.stop();
  });

  it("replays batched creates, leases, acks and releases over a snapshot, after a crash", async () => {
    const store = createMemoryStore();
    const journal = createMemoryPersistence({ store });
    const host = createQueueHost({ persistence: journal });
    await host.start();
    await host.enqueueBatch(Array.from({ length: 300 }, (_, i) => ({ queue: "q", payload: i, ...(i % 3 === 0 ? { key: `k${i}` } : {}) })));
    const first = await host.receive<number>("q", { max: 100, leaseMs: 3_600_000 });
    await host.ack(first.slice(0, 60).map((d) => d.receipt));
    // A snapshot in the middle: what follows is replayed over it.
    await journal.snapshot();
    const second = await host.receive<number>("q", { max: 100, leaseMs: 3_600_000 });
    await host.ack(second.slice(0, 50).map((d) => d.receipt));
    await host.release(second.slice(50, 70).map((d) => d.receipt));
    await host.enqueueBatch(Array.from({ length: 20 }, (_, i) => ({ queue: "q", payload: 1000 + i })));
    const before = await host.stats("q");
    store.crash();

    const after = createQueueHost({ persistence: createMemoryPersistence({ store }) });
    await after.start();
    expect(after.recovery?.snapshotLsn).toBeGreaterThan(0);
    const s = await after.stats("q");
    // Leases of the previous life are void (Decision 4): in flight becomes ready, nothing acked returns.
    expect(s.ready).toBe(before.ready + before.inFlight);
    expect(s.inFlight).toBe(0);
    const rest = await after.receive<number>("q", { max: 1000 });
    const acked = new Set([...first.slice(0, 60), ...second.slice(0, 50)].map((d) => d.message.payload));
    const payloads = rest.map((d) => d.message.payload);
    expect(payloads).toHaveLength(320 - acked.size);
    expect(payloads.filter((p) => acked.has(p))).toEqual([]);
    // Released messages kept their restored attempt count; the rest of the in-flight ones used one.
    const released = new Set(second.slice(50, 70).map((d) => d.message.payload));
    for (const d of rest) expect(d.attempt).toBe(released.has(d.message.payload) || d.message.payload >= 200 ? 1 : 2);
    await after.stop();
  });

  it("makes in-flight messages ready at once after a crash, attempt already counted (L4)", async () => {
    const { host, restart, store } = memoryHost();
    await host.start();
    for (let i = 0; i < 10; i++) await host.enqueue("q", i);
    const leased = await host.receive("q", { max: 10, leaseMs: 3_600_000 });
    expect(leased).toHaveLength(10);
    // The first host "crashes": what it journaled is all that survives.
    store.crash();
    const after = restart();
    await after.start();
    const again = await after.receive("q", { max: 10 });
    expect(again.map((d) => d.message.payload)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(again.every((d) => d.attempt === 2)).toBe(true);
    await after.stop();
  });

  it("dead-letters a message whose deliveries keep ending with the process after maxAttempts crashes (H4)", async () => {
    const { host, restart, store } = memoryHost({ queues: { q: { maxAttempts: 3 } } });
    await host.start();
    const { id } = await host.enqueue("q", "crashes the handler");
    let crashes = 0;
    let current = host;
    for (;;) {
      const [d] = await current.receive("q");
      if (d === undefined) break;
      crashes++;
      store.crash();
      current = restart();
      await current.start();
    }
    expect(crashes).toBe(3);
    expect(await current.deadLetters.get(id)).toMatchObject({ reason: "poison", attemptTimestamps: [expect.any(Number), expect.any(Number), expect.any(Number)] });
    await current.stop();
  });

  it("recovers the same state from snapshots plus the journal tail on the file journal", async () => {
    const { dir, cleanup } = tempDir();
    const host = createQueueHost({ dataDir: dir, snapshot: { everyOps: 25 } });
    await host.start();
    const kept: number[] = [];
    for (let i = 0; i < 300; i++) {
      await host.enqueue("q", i, { priority: i % 3 });
      if (i % 4 === 0) {
        const [d] = await host.receive("q");
        await host.ack(d!.receipt);
      }
    }
    const before = await host.stats("q");
    const expected: unknown[] = [];
    // Reference order: read everything and put it back by restarting from disk twice.
    await host.stop();
    const a = createQueueHost({ dataDir: dir });
    await a.start();
    expect((await a.stats("q")).ready).toBe(before.ready);
    for (;;) {
      const got = await a.receive("q", { max: 100, leaseMs: 60_000 });
      if (got.length === 0) break;
      expected.push(...got.map((d) => d.message.payload));
    }
    expect(expected).toHaveLength(before.ready);
    expect(new Set(expected).size).toBe(expected.length);
    for (const p of expected) kept.push(p as number);
    // Priority 2 first, then 1, then 0; FIFO within each.
    const byPriority = [2, 1, 0].flatMap((p) => kept.filter((n) => n % 3 === p).sort((x, y) => x - y));
    expect(kept).toEqual(byPriority);
    await a.stop();
    cleanup();
  });

  it("records attempts of messages restored from a snapshot that were never delivered, across restarts, on the file journal", async () => {
    const { dir, cleanup } = tempDir();
    const noAuto = { everyOps: 0, everyMs: 0, onClose: false };
    const host = createQueueHost({ dataDir: dir, snapshot: noAuto });
    await host.start();
    await host.enqueueBatch([0, 1, 2].map((n) => ({ queue: "q", payload: n })));
    await host.snapshot();
    await host.stop();

    // Restored entries share one empty attempt history until their first delivery.
    const a = createQueueHost({ dataDir: dir, snapshot: noAuto });
    await a.start();
    const [first, second] = await a.receive<number>("q", { max: 2, leaseMs: 60_000 });
    expect([first!.message.attempts, second!.message.attempts]).toEqual([1, 1]);
    await a.nack(first!.receipt, { deadLetter: true, reason: { name: "Error", message: "no" } });
    expect((await a.deadLetters.get(first!.message.id))?.attemptTimestamps).toHaveLength(1);
    await a.snapshot();
    await a.stop();

    const b = createQueueHost({ dataDir: dir, snapshot: noAuto });
    await b.start();
    const got = await b.receive<number>("q", { max: 10, leaseMs: 60_000 });
    // The untouched one first; the one in flight at the snapshot came back behind it with its attempt counted.
    expect(got.map((d) => [d.message.payload, d.message.attempts])).toEqual([
      [2, 1],
      [1, 2],
    ]);
    await b.stop();
    cleanup();
  });
});

describe("recovery timing", () => {
  it("delivers delayed messages that came due while the host was down or recovering", async () => {
    const { host, restart, store } = memoryHost();
    await host.start();
    await host.enqueue("q", "soon", { delayMs: 30 });
    await host.enqueue("q", "ttl", { ttlMs: 30 });
    store.crash();
    await new Promise((r) => setTimeout(r, 60));
    const again = restart();
    await again.start();
    const got = await again.receive("q", { max: 10, waitMs: 1_000 });
    expect(got.map((d) => d.message.payload)).toEqual(["soon"]);
    expect(hostInternals(again)!).toMatchObject({ entries: 1, scheduled: 0 });
    await again.stop();
  });
});
