import { createManualClock } from "@mq/core/testing";
import { createMemoryPersistence, createMemoryStore } from "@mq/journal/memory";
import { afterEach, describe, expect, it } from "vitest";
import { AbortedError, createQueueHost, MQ_ERROR_CODES, TimeoutError, UnrecoverableError } from "../../src/index";
import type { QueueHost } from "../../src/queue-host";
import { memoryHost, tempDir, until } from "../support";

const hosts: QueueHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop().catch(() => undefined);
});

async function started(host: QueueHost): Promise<QueueHost> {
  hosts.push(host);
  await host.start();
  return host;
}

describe("results and retention", () => {
  it("keeps a handler's return value when the queue keeps completions; result and waitForResult return it", async () => {
    const { host } = memoryHost({ queues: { jobs: { keepCompleted: { count: 100 } } } });
    await started(host);
    host.handle("jobs", (n: number) => ({ doubled: n * 2 }));
    const { id } = await host.enqueue("jobs", 21);
    const done = await host.waitForResult(id, { timeoutMs: 10_000 });
    expect(done).toMatchObject({ id, queue: "jobs", result: { doubled: 42 } });
    expect(await host.result(id)).toEqual(done);
    expect(await host.getMessage("jobs", id)).toMatchObject({ state: "completed", result: { doubled: 42 }, completedAt: done.completedAt });
    // Already completed: resolves at once.
    expect(await host.waitForResult(id)).toEqual(done);
  });

  it("keeps nothing by default (the ack pays nothing)", async () => {
    const { host } = memoryHost();
    await started(host);
    host.handle("q", () => "value");
    const { id } = await host.enqueue("q", 1);
    await until(async () => (await host.stats("q")).totals.acked === 1);
    expect(await host.result(id)).toBeUndefined();
    expect((await host.getMessage("q", id)).state).toBe("unknown");
  });

  it("rejects waitForResult when the message is dead-lettered, times out, and aborts", async () => {
    const clock = createManualClock();
    const { host } = memoryHost({ clock, queues: { q: { keepCompleted: {} } } });
    await started(host);
    const { id } = await host.enqueue("q", 1);
    const waiting = host.waitForResult(id).catch((e: unknown) => e);
    const [d] = await host.receive("q", { leaseMs: 1_000 });
    await host.nack(d!.receipt, { deadLetter: true });
    expect(await waiting).toMatchObject({ code: MQ_ERROR_CODES.UNRECOVERABLE });

    const timed = host.waitForResult("never", { timeoutMs: 500 }).catch((e: unknown) => e);
    clock.advance(500);
    expect(await timed).toBeInstanceOf(TimeoutError);
    const controller = new AbortController();
    const aborted = host.waitForResult("never", { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    expect(await aborted).toBeInstanceOf(AbortedError);
  });

  it("bounds retention by count under a flood, and by age", async () => {
    const clock = createManualClock();
    const { host } = memoryHost({ clock, queues: { flood: { keepCompleted: { count: 50 } }, aged: { keepCompleted: { ageMs: 1_000 } } } });
    await started(host);
    const ids: string[] = [];
    for (let round = 0; round < 10; round++) {
      const results = await host.enqueueBatch(Array.from({ length: 100 }, (_, i) => ({ queue: "flood", payload: round * 100 + i })));
      ids.push(...results.map((r) => r.id));
      const got = await host.receive<number>("flood", { max: 100 });
      await host.backend.ack(got.map((d) => d.receipt), [], { results: got.map((d) => d.message.payload) });
    }
    const kept = (await Promise.all(ids.map((id) => host.result(id)))).filter((r) => r !== undefined);
    expect(kept).toHaveLength(50);
    expect(kept.map((r) => r.result)).toEqual(Array.from({ length: 50 }, (_, i) => 950 + i));

    const { id } = await host.enqueue("aged", 1);
    const [d] = await host.receive("aged");
    await host.backend.ack([d!.receipt], [], { results: ["old"] });
    expect((await host.result(id))?.result).toBe("old");
    clock.advance(1_001);
    expect(await host.result(id)).toBeUndefined();
  });

  it("survives a crash over a snapshot (memory journal) and a restart (file journal)", async () => {
    const store = createMemoryStore();
    const journal = createMemoryPersistence({ store });
    const opts = { queues: { q: { keepCompleted: { count: 10 } } } };
    const host = await started(createQueueHost({ ...opts, persistence: journal }));
    const a = await host.enqueue("q", "a");
    const b = await host.enqueue("q", "b");
    const [da] = await host.receive("q");
    await host.backend.ack([da!.receipt], [], { results: [{ v: "A" }] });
    await journal.snapshot();
    const [db] = await host.receive("q");
    await host.backend.ack([db!.receipt], [], { results: [{ v: "B" }] });
    store.crash();
    hosts.pop();
    const again = await started(createQueueHost({ ...opts, persistence: createMemoryPersistence({ store }) }));
    expect((await again.result(a.id))?.result).toEqual({ v: "A" });
    expect((await again.result(b.id))?.result).toEqual({ v: "B" });

    const { dir, cleanup } = tempDir("mq-results-");
    try {
      const file = await started(createQueueHost({ ...opts, dataDir: dir }));
      file.handle("q", (p: string) => p.toUpperCase());
      const { id } = await file.enqueue("q", "x");
      await file.waitForResult(id, { timeoutMs: 10_000 });
      await file.stop();
      hosts.pop();
      const reopened = await started(createQueueHost({ ...opts, dataDir: dir }));
      expect((await reopened.result(id))?.result).toBe("X");
    } finally {
      cleanup();
    }
  });

  it("stores nothing for a handler that dead-letters itself", async () => {
    const { host } = memoryHost({ queues: { q: { keepCompleted: {} } } });
    await started(host);
    host.handle("q", () => {
      throw new UnrecoverableError("no");
    });
    const { id } = await host.enqueue("q", 1);
    await expect(host.waitForResult(id, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: MQ_ERROR_CODES.UNRECOVERABLE });
    expect(await host.result(id)).toBeUndefined();
  });
});
