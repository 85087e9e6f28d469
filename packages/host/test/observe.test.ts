import { afterEach, describe, expect, it } from "vitest";
import { withFailingAppends } from "@mq/core/testing";
import { createQueueHost, MqError, type QueueHost } from "../src/index";
import { memoryHost, tempDir, until } from "./support";

describe("host.snapshot(), health(), latency() and rates()", () => {
  let host: QueueHost | undefined;
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    await host?.stop({ drainTimeoutMs: 1_000 });
    host = undefined;
    for (const c of cleanups.splice(0)) c();
  });

  it("snapshot() writes one now on the file journal; it refuses before start", async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    host = createQueueHost({ dataDir: dir });
    await expect(host.snapshot()).rejects.toSatisfy((e) => MqError.isInstance(e));
    await host.start();
    for (let i = 0; i < 50; i++) await host.enqueue("q", i);
    const info = await host.snapshot();
    expect(info.lsn).toBeGreaterThan(0);
    expect(info.items).toBeGreaterThanOrEqual(50);
    const health = host.health();
    expect(health).toMatchObject({ ok: true, status: "open", durability: "batch", journal: { kind: "file", state: "open", lastSnapshot: { lsn: info.lsn } } });
    expect(health.journal.durableLsn).toBe(health.journal.lastLsn);
    expect(health.journal.syncLagMs).toBe(0);
  });

  it("health() reports handlers, pause, and the lifecycle", async () => {
    host = memoryHost().host;
    expect(host.health()).toMatchObject({ ok: false, status: "new", handlersRunning: false });
    host.handle("q", () => undefined, { maxParallelism: 3 });
    await host.start();
    host.pause("q");
    expect(host.health()).toMatchObject({ ok: true, status: "open", handlersRunning: true, handlers: [{ queue: "q", parallelism: 3, paused: true, running: 0 }] });
    await host.stop();
    expect(host.health()).toMatchObject({ ok: false, status: "closed", handlersRunning: false, journal: { state: "closed" } });
    host = undefined;
  });

  it("latency() and rates() measure enqueue to start and handler time per queue once observed", async () => {
    host = memoryHost().host;
    host.handle("slow", () => new Promise((r) => setTimeout(r, 20)), { maxParallelism: 4 });
    host.handle("fails", () => Promise.reject(new Error("no")), { maxRetries: 0 });
    await host.start();
    host.observe();
    for (let i = 0; i < 20; i++) await host.enqueue("slow", i);
    await host.enqueue("fails", 1);
    await until(async () => (await host!.stats("slow")).totals.acked === 20 && (await host!.deadLetters.count()) === 1);
    const slow = host.latency("slow");
    expect(slow.handlerMs.count).toBe(20);
    expect(slow.handlerMs.p50Ms).toBeGreaterThanOrEqual(15);
    expect(slow.waitMs.count).toBe(20);
    expect(slow.waitMs.maxMs).toBeGreaterThanOrEqual(slow.waitMs.p50Ms);
    expect(host.latency("fails").handlerMs.count).toBe(1);
    // Rates average whole seconds, so wait until the second the work happened in has passed.
    await new Promise((r) => setTimeout(r, 1_100));
    const rates = host.rates("slow");
    expect(rates.enqueued).toBeGreaterThan(0);
    expect(rates.acked).toBeGreaterThan(0);
    expect(host.rates("fails")).toMatchObject({ failed: expect.any(Number), deadLettered: expect.any(Number) });
    expect(host.rates("fails").deadLettered).toBeGreaterThan(0);
  });

  it("pull consumers: wait is measured at delivery for queues without a handler", async () => {
    host = memoryHost().host;
    await host.start();
    host.observe();
    await host.enqueue("pull", 1);
    const [d] = await host.receive("pull");
    await host.ack(d!.receipt);
    expect(host.latency("pull").waitMs.count).toBe(1);
  });
});

describe("health() after a journal failure", () => {
  it("reports failed with the fail-stop reason", async () => {
    const { createMemoryPersistence } = await import("@mq/journal/memory");
    const { PersistenceError } = await import("../src/index");
    // Fault injection: the adapter's append starts failing, as a full disk would.
    const { persistence, failAppends } = withFailingAppends(createMemoryPersistence());
    const host = createQueueHost({ persistence });
    await host.start();
    await host.enqueue("q", 1);
    failAppends(new PersistenceError("disk full", "ENOSPC"));
    await expect(host.enqueue("q", 2)).rejects.toThrow(/disk full/);
    const health = host.health();
    expect(health).toMatchObject({ ok: false, status: "failed", journal: { state: "failed" }, failure: { code: "MQ_PERSISTENCE", message: expect.stringContaining("disk full") }, handlersRunning: false });
    await host.stop();
  });
});

describe("on a custom backend", () => {
  it("health() reports the host's lifecycle and snapshot() says it needs the embedded engine", async () => {
    const owner = memoryHost().host;
    await owner.start();
    const guest = createQueueHost({ backend: owner.backend });
    expect(guest.health()).toMatchObject({ ok: false, status: "new", journal: { kind: "backend" } });
    await guest.start();
    expect(guest.health()).toMatchObject({ ok: true, status: "open", durability: "none", journal: { kind: "backend", state: "open" } });
    await expect(guest.snapshot()).rejects.toThrow(/embedded engine/);
    guest.observe();
    await guest.enqueue("q", 1);
    expect(guest.rates("q").enqueued).toBeGreaterThanOrEqual(0);
    await guest.stop();
    await owner.stop();
  });
});
