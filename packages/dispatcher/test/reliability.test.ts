// Rows H1, H2, H3 and H7 of the reliability plan, against the in-memory test backend.
import { LeaseLostError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { createDispatcher } from "../src/dispatcher";
import type { HandlerContext } from "../src/types";
import { advance, fill, flush, manualSetup, realSetup, waitFor } from "./support/harness";

describe("H1 poison messages", () => {
  it("delivers each poison message exactly maxRetries + 1 times, then dead-letters it with the last error", async () => {
    const { backend, dispatcher } = await realSetup();
    const deliveries = new Map<number, number>();
    dispatcher.handle<{ n: number }>(
      "q",
      (p, ctx) => {
        deliveries.set(p.n, (deliveries.get(p.n) ?? 0) + 1);
        if (p.n % 100 === 7) throw new Error(`poison ${p.n} attempt ${ctx.attempt}`);
      },
      { maxRetries: 3, backoff: 0, maxParallelism: 8 },
    );
    const ids = await fill(backend, "q", 1_000);
    await waitFor(() => backend.acked.length === 990 && dispatcher.stats("q")[0]!.deadLettered === 10, "all settled", 20_000);
    await dispatcher.stop();
    const poison = [...deliveries].filter(([n]) => n % 100 === 7);
    expect(poison).toHaveLength(10);
    for (const [, count] of poison) expect(count).toBe(4);
    const letters = (await backend.deadLetters.list({ limit: 1_000 })).items;
    expect(letters).toHaveLength(10);
    for (const letter of letters) {
      const n = (letter.message.payload as { n: number }).n;
      expect(n % 100).toBe(7);
      expect(letter).toMatchObject({ reason: "max-retries", queue: "q", error: { name: "Error", message: `poison ${n} attempt 4` } });
      expect(letter.attemptTimestamps).toHaveLength(4);
    }
    expect(new Set(backend.acked).size).toBe(990);
    expect(ids.filter((id) => !backend.acked.includes(id))).toHaveLength(10);
  });
});

describe("H2 handlers that never settle", () => {
  it("aborts them, counts the attempts, dead-letters them and never stalls the queue", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    const aborted = new Set<string>();
    let maxRunning = 0;
    dispatcher.handle<{ n: number }>(
      "q",
      (p, ctx) => {
        if (p.n % 20 !== 3) return; // 5 % hang
        ctx.signal.addEventListener("abort", () => aborted.add(`${p.n}:${ctx.attempt}`));
        return new Promise(() => undefined);
      },
      { timeoutMs: 200, maxRetries: 1, backoff: 0, maxParallelism: 4 },
    );
    await fill(backend, "q", 200);
    for (let t = 0; t < 2_000 && backend.acked.length + dispatcher.stats("q")[0]!.deadLettered < 200; t += 10) {
      await advance(clock, 10);
      maxRunning = Math.max(maxRunning, dispatcher.stats("q")[0]!.running);
    }
    const stats = dispatcher.stats("q")[0]!;
    expect(backend.acked).toHaveLength(190);
    expect(stats).toMatchObject({ deadLettered: 10, timedOut: 20, abandoned: 20, succeeded: 190 });
    expect(aborted.size).toBe(20);
    expect(maxRunning).toBeLessThanOrEqual(4);
    await dispatcher.stop({ drainTimeoutMs: 0 });
  });
});

describe("H3 late completion", () => {
  it("fences every late ack: zero double-successful acks", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    const lateAcks: unknown[] = [];
    dispatcher.handle<{ n: number }>(
      "q",
      async (_p, ctx: HandlerContext) => {
        if (ctx.attempt > 1) return;
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 300)); // ignores the abort
        lateAcks.push(await backend.ack([ctx.receipt]).then(() => "acked", (e: unknown) => e));
      },
      { timeoutMs: 100, maxRetries: 2, backoff: 0, maxParallelism: 10 },
    );
    await fill(backend, "q", 50);
    await advance(clock, 2_000, 10);
    expect(lateAcks).toHaveLength(50);
    for (const result of lateAcks) expect(result).toBeInstanceOf(LeaseLostError);
    expect(backend.acked).toHaveLength(50);
    expect(new Set(backend.acked).size).toBe(50);
    await dispatcher.stop({ drainTimeoutMs: 0 });
  });
});

describe("H7 graceful stop under load", () => {
  it("loses nothing: every message is acked exactly once or ready again, and a new dispatcher finishes the rest", async () => {
    const { backend, dispatcher } = await realSetup();
    const handled = new Map<number, number>();
    const handler = async (p: { n: number }, ctx: HandlerContext<{ n: number }>) => {
      // One in 40 ignores its signal and runs long, so the drain deadline has work to abort.
      const ms = p.n % 40 === 0 ? 2_000 : p.n % 5;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        if (p.n % 40 !== 0) ctx.signal.addEventListener("abort", () => (clearTimeout(timer), reject(ctx.signal.reason as Error)));
      });
      handled.set(p.n, (handled.get(p.n) ?? 0) + 1);
    };
    dispatcher.handle("q", handler, { maxParallelism: 16, prefetch: 8, timeoutMs: 60_000 });
    const ids = await fill(backend, "q", 600);
    await waitFor(() => backend.acked.length >= 100, "some progress");
    await dispatcher.stop({ drainTimeoutMs: 50 });

    const stats = await backend.stats("q");
    expect(stats.inFlight).toBe(0);
    expect(stats.deadLettered).toBe(0);
    expect(new Set(backend.acked).size).toBe(backend.acked.length);
    expect(backend.acked.length + stats.ready).toBe(600);
    const own = dispatcher.stats("q")[0]!;
    expect(own.running).toBe(0);
    expect(own.released).toBeGreaterThan(0);
    expect(own.failed).toBe(0);

    const second = createDispatcher(backend);
    second.handle("q", async () => undefined, { maxParallelism: 16 });
    second.start();
    await waitFor(() => backend.acked.length === 600, "the rest", 10_000);
    await second.stop();
    expect(new Set(backend.acked)).toEqual(new Set(ids));
    expect(backend.acked).toHaveLength(600);
  });

  it("waits for running handlers that finish within the drain deadline", async () => {
    const { backend, dispatcher } = await realSetup();
    let finished = 0;
    dispatcher.handle(
      "q",
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        finished++;
      },
      { maxParallelism: 4, prefetch: 4 },
    );
    await fill(backend, "q", 20);
    await waitFor(() => dispatcher.stats("q")[0]!.running === 4, "4 running");
    await dispatcher.stop({ drainTimeoutMs: 5_000 });
    expect(finished).toBe(4);
    expect(backend.acked).toHaveLength(4);
    const stats = await backend.stats("q");
    expect(stats).toMatchObject({ ready: 16, inFlight: 0 });
    expect(dispatcher.stats("q")[0]).toMatchObject({ released: 4, succeeded: 4, retried: 0 });
    // The unstarted ones went back with release(): no retry counted, no attempt used.
    expect(stats.totals.retried).toBe(0);
    const rest = await backend.receive("q", { max: 20, leaseMs: 1_000 });
    expect(rest.map((d) => d.attempt)).toEqual(Array.from({ length: 16 }, () => 1));
  });

  it("stop with a drain of 0 aborts at once and hands everything back", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    const reasons: string[] = [];
    dispatcher.handle(
      "q",
      (_p, ctx: HandlerContext) => new Promise((_r, reject) => ctx.signal.addEventListener("abort", () => (reasons.push((ctx.signal.reason as Error).name), reject(ctx.signal.reason as Error)))),
      { maxParallelism: 3, maxRetries: 0 },
    );
    await fill(backend, "q", 3);
    await flush();
    await dispatcher.stop({ drainTimeoutMs: 0 });
    expect(reasons).toEqual(["AbortedError", "AbortedError", "AbortedError"]);
    // maxRetries: 0, yet nothing is dead-lettered: a shutdown is not a handler failure.
    expect(await backend.stats("q")).toMatchObject({ ready: 3, inFlight: 0, deadLettered: 0 });
    await advance(clock, 100);
    // They did run, so the attempt stays counted (interrupted, not released) and nothing counts as failed.
    expect(dispatcher.stats("q")[0]).toMatchObject({ abandoned: 0, released: 0, interrupted: 3, failed: 0 });
    const [again] = await backend.receive("q", { max: 1, leaseMs: 1_000 });
    expect(again?.attempt).toBe(2);
  });
});
