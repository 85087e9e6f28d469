import { createManualClock } from "@mq/core/testing";
import { createMemoryPersistence, createMemoryStore } from "@mq/journal/memory";
import { afterEach, describe, expect, it } from "vitest";
import { createQueueHost, MessageInFlightError, MQ_ERROR_CODES, NotFoundError } from "../../src/index";
import type { QueueHost } from "../../src/queue-host";
import { memoryHost, until } from "../support";

const hosts: QueueHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop().catch(() => undefined);
});

async function started(host: QueueHost): Promise<QueueHost> {
  hosts.push(host);
  await host.start();
  return host;
}

describe("getMessage", () => {
  it("reports ready, delayed, in flight (with progress and last error), dead-lettered and unknown", async () => {
    const clock = createManualClock();
    const { host } = memoryHost({ clock });
    await started(host);
    const t0 = clock.now();
    const ready = await host.enqueue("q", "r");
    const delayed = await host.enqueue("q", "d", { delayMs: 5_000 });
    expect(await host.getMessage("q", ready.id)).toMatchObject({ id: ready.id, queue: "q", state: "ready", attempts: 0, enqueuedAt: t0 });
    expect(await host.getMessage("q", delayed.id)).toMatchObject({ state: "delayed", availableAt: t0 + 5_000 });

    const [d] = await host.receive("q", { leaseMs: 60_000 });
    await host.backend.progress!(d!.receipt, { done: 3, of: 10 });
    expect(await host.getMessage("q", ready.id)).toMatchObject({ state: "in-flight", attempts: 1, progress: { done: 3, of: 10 } });
    await host.nack(d!.receipt, { delayMs: 1_000, reason: { name: "Error", message: "db down" } });
    const retried = await host.getMessage("q", ready.id);
    expect(retried).toMatchObject({ state: "delayed", attempts: 1, lastError: { message: "db down" }, availableAt: t0 + 1_000 });
    expect(retried.progress).toBeUndefined();

    clock.advance(1_000);
    const [again] = await host.receive("q", { leaseMs: 60_000 });
    await host.nack(again!.receipt, { deadLetter: true, reason: { name: "Error", message: "final" } });
    expect(await host.getMessage("q", ready.id)).toMatchObject({ state: "dead-lettered", attempts: 2, deadLetterReason: "rejected", lastError: { message: "final" } });

    expect(await host.getMessage("q", "no-such-id")).toEqual({ id: "no-such-id", queue: "q", state: "unknown", attempts: 0 });
    // The id belongs to another queue: unknown here.
    expect((await host.getMessage("other", delayed.id)).state).toBe("unknown");
  });
});

describe("cancel", () => {
  it("removes a ready or a delayed message, durably, and frees its dedup key", async () => {
    const store = createMemoryStore();
    const clock = createManualClock();
    const host = await started(createQueueHost({ persistence: createMemoryPersistence({ store }), clock }));
    const a = await host.enqueue("q", "a", { key: "k" });
    const b = await host.enqueue("q", "b", { delayMs: 10_000 });
    await host.enqueue("q", "c");
    await host.cancel("q", a.id);
    await host.cancel("q", b.id);
    expect(await host.stats("q")).toMatchObject({ ready: 1, delayed: 0 });
    expect((await host.getMessage("q", a.id)).state).toBe("unknown");
    expect((await host.enqueue("q", "a again", { key: "k" })).status).toBe("created");
    store.crash();
    hosts.pop();

    const again = await started(createQueueHost({ persistence: createMemoryPersistence({ store }), clock }));
    clock.advance(20_000);
    const got = await again.receive("q", { max: 10 });
    expect(got.map((d) => d.message.payload).sort()).toEqual(["a again", "c"]);
  });

  it("refuses an in-flight message with MessageInFlightError that says what to do, and an unknown one with NotFoundError", async () => {
    const { host } = memoryHost();
    await started(host);
    const { id } = await host.enqueue("q", 1);
    const [d] = await host.receive("q", { leaseMs: 60_000 });
    const error = await host.cancel("q", id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageInFlightError);
    expect((error as MessageInFlightError).code).toBe(MQ_ERROR_CODES.IN_FLIGHT);
    expect((error as Error).message).toMatch(/wait for it to finish/);
    await host.ack(d!.receipt);
    await expect(host.cancel("q", id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(host.cancel("q", "")).rejects.toMatchObject({ code: MQ_ERROR_CODES.INVALID_ARGUMENT });
  });
});

describe("progress", () => {
  it("emits ctx.progress as a dispatcher and a backend event and shows it in getMessage while the handler runs", async () => {
    const { host } = memoryHost();
    await started(host);
    const seen: unknown[] = [];
    const backendSeen: unknown[] = [];
    host.dispatcher.events.on("progress", (e) => seen.push(e.value));
    host.events.on("progress", (e) => backendSeen.push(e.value));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    host.handle("q", async (_p, ctx) => {
      ctx.progress(50);
      await gate;
    });
    const { id } = await host.enqueue("q", 1);
    await until(async () => (await host.getMessage("q", id)).progress === 50);
    expect(seen).toEqual([50]);
    expect(backendSeen).toEqual([50]);
    release();
    await until(async () => (await host.stats("q")).totals.acked === 1);
  });
});
