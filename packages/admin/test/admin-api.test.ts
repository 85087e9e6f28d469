import { MQ_ERROR_CODES, MqError } from "@mq/core";
import type { QueueHost } from "@mq/host";
import { afterEach, describe, expect, it } from "vitest";
import { createAdminApi, NotSupportedError, type AdminHost } from "../src/index";
import { startHost, until } from "./support";

let host: QueueHost | undefined;
afterEach(async () => {
  await host?.stop({ drainTimeoutMs: 1_000 });
  host = undefined;
});

describe("createAdminApi (programmatic)", () => {
  it("reads metrics and handlers, scales, pauses and resumes", async () => {
    host = await startHost();
    const admin = createAdminApi(host);
    for (let i = 0; i < 5; i++) await host.enqueue("orders", i);
    await until(async () => (await host!.stats("orders")).totals.acked === 5);
    const metrics = await admin.metrics();
    expect(metrics.queues.map((q) => q.queue)).toEqual(["orders", "pull"]);
    expect(metrics.total.ready).toBe(1);
    expect((await admin.queue("orders")).latency.handlerMs.count).toBe(5);
    expect(admin.handlers()).toEqual([expect.objectContaining({ queue: "orders", parallelism: 2 })]);
    expect(admin.scale("orders", 3)).toMatchObject({ parallelism: 3 });
    expect(admin.pause("orders")).toMatchObject({ paused: true });
    expect(admin.resume("orders")).toMatchObject({ paused: false });
    expect(admin.health()).toMatchObject({ ok: true });
    expect((await admin.snapshot()).lsn).toBeGreaterThan(0);
  });

  it("answers typed errors: unknown queue or handler, bad parallelism, missing host capability", async () => {
    host = await startHost();
    const admin = createAdminApi(host);
    const code = async (work: () => unknown): Promise<string> => {
      try {
        await work();
        return "none";
      } catch (error) {
        return MqError.isInstance(error) ? error.code : "not an MqError";
      }
    };
    expect(await code(() => admin.queue("nope"))).toBe(MQ_ERROR_CODES.NOT_FOUND);
    expect(await code(() => admin.scale("pull", 2))).toBe(MQ_ERROR_CODES.NOT_FOUND);
    expect(await code(() => admin.scale("orders", 0))).toBe(MQ_ERROR_CODES.INVALID_ARGUMENT);
    expect(await code(() => admin.peek("pull", 0))).toBe(MQ_ERROR_CODES.INVALID_ARGUMENT);
    expect(await code(() => admin.deadLetters.get("nope"))).toBe(MQ_ERROR_CODES.NOT_FOUND);
    expect(await code(() => admin.deadLetters.replay("nope"))).toBe(MQ_ERROR_CODES.NOT_FOUND);
    // Asking about unknown queues created none.
    expect(await host.queues()).not.toContain("nope");
  });

  it("peeks without leasing and purges ready messages through the host", async () => {
    host = await startHost();
    const admin = createAdminApi(host);
    await host.enqueue("pull", new Uint8Array([1]));
    const peeked = await admin.peek("pull", 5);
    // Payloads are made JSON-safe (bytes as base64) for the HTTP layer.
    expect(peeked.map((m) => m.payload)).toEqual([{ hello: "world" }, { $binary: "AQ==" }]);
    expect((await host.stats("pull")).ready).toBe(2);
    expect(await admin.purge("pull")).toEqual({ purged: 2 });
    expect(await admin.peek("pull")).toEqual([]);
  });

  it("answers NotSupportedError for peek and purge on a host without them", async () => {
    host = await startHost();
    const real = host;
    // The AdminHost shape with the optional peek and purge left out.
    const bare: AdminHost = {
      queues: () => real.queues(),
      stats: (q) => real.stats(q),
      workers: (q) => real.workers(q),
      scale: (q, n) => real.scale(q, n),
      pause: (q) => real.pause(q),
      resume: (q) => real.resume(q),
      snapshot: () => real.snapshot(),
      health: () => real.health(),
      latency: (q) => real.latency(q),
      rates: (q) => real.rates(q),
      deadLetters: real.deadLetters,
    };
    const admin = createAdminApi(bare);
    await expect(admin.peek("pull")).rejects.toBeInstanceOf(NotSupportedError);
    await expect(admin.purge("pull")).rejects.toBeInstanceOf(NotSupportedError);
    expect((await admin.queue("pull")).ready).toBe(1);
  });

  it("reports rates per second over the last minute and p50/p95/p99 latency", async () => {
    host = await startHost();
    const admin = createAdminApi(host);
    for (let i = 0; i < 10; i++) await host.enqueue("orders", i);
    await until(async () => (await host!.stats("orders")).totals.acked === 10);
    // Rates average whole seconds: let the second the work happened in pass.
    await new Promise((r) => setTimeout(r, 1_100));
    const orders = await admin.queue("orders");
    expect(orders.rates.enqueued).toBeGreaterThan(0);
    expect(orders.rates.acked).toBeGreaterThan(0);
    expect(orders.totals).toMatchObject({ enqueued: 10, acked: 10, failed: 0, expired: 0 });
    const { handlerMs } = orders.latency;
    expect(handlerMs.count).toBe(10);
    expect(handlerMs.p50Ms).toBeGreaterThan(0);
    expect(handlerMs.p95Ms).toBeGreaterThanOrEqual(handlerMs.p50Ms);
    expect(handlerMs.p99Ms).toBeGreaterThanOrEqual(handlerMs.p95Ms);
    expect(handlerMs.maxMs).toBeGreaterThanOrEqual(handlerMs.p99Ms * 0.9);
  });
});
