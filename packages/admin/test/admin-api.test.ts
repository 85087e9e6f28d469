import { MQ_ERROR_CODES, MqError } from "@mq/core";
import type { QueueHost } from "@mq/host";
import { afterEach, describe, expect, it } from "vitest";
import { createAdminApi, NotSupportedError } from "../src/index";
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
    if (typeof (host as { peek?: unknown }).peek !== "function") await expect(admin.peek("pull")).rejects.toBeInstanceOf(NotSupportedError);
    // Asking about unknown queues created none.
    expect(await host.queues()).not.toContain("nope");
  });

  it("uses the host's peek and purge when it has them", async () => {
    host = await startHost();
    const calls: string[] = [];
    const withCapabilities = Object.assign(Object.create(host) as QueueHost, {
      peek: async (queue: string, limit: number) => {
        calls.push(`peek ${queue} ${limit}`);
        return [{ id: "m1", queue, payload: new Uint8Array([1]), version: 1, priority: 0, enqueuedAt: 0, attempts: 0 }];
      },
      purge: async (queue: string) => {
        calls.push(`purge ${queue}`);
        return 7;
      },
    });
    // The wrapper forwards everything else to the real host (methods bound through the prototype chain).
    for (const name of ["queues", "stats", "workers", "scale", "pause", "resume", "snapshot", "health", "latency", "rates", "observe"] as const) {
      (withCapabilities as unknown as Record<string, unknown>)[name] = (host[name] as (...a: unknown[]) => unknown).bind(host);
    }
    const admin = createAdminApi(withCapabilities);
    expect(await admin.peek("pull", 5)).toEqual([expect.objectContaining({ id: "m1", payload: { $binary: "AQ==" } })]);
    expect(await admin.purge("pull")).toEqual({ purged: 7 });
    expect(calls).toEqual(["peek pull 5", "purge pull"]);
  });
});
