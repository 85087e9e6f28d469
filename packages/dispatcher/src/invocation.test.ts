import { LeaseLostError, TimeoutError } from "@mq/core";
import { afterEach, describe, expect, it } from "vitest";
import { advance, fill, flush, manualSetup } from "../test/support/harness";
import type { Dispatcher, HandlerContext } from "./types";

let running: Dispatcher | undefined;
afterEach(async () => {
  await running?.stop({ drainTimeoutMs: 0 });
  running = undefined;
});

/** A promise that settles when the manual clock passes `ms` (what a slow handler awaits). */
function sleepOn(clock: { setTimeout(fn: () => void, ms: number): unknown }, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

describe("timeouts", () => {
  it("aborts the signal, retries with backoff, then dead-letters with the error", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    const reasons: unknown[] = [];
    const events: string[] = [];
    for (const name of ["started", "timedOut", "failed", "retried", "deadLettered"] as const) {
      dispatcher.events.on(name, (e: { attempt: number }) => events.push(`${name}:${e.attempt}`));
    }
    dispatcher.handle(
      "q",
      (_p, ctx: HandlerContext) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener("abort", () => {
            reasons.push(ctx.signal.reason);
            reject(ctx.signal.reason as Error);
          });
        }),
      { timeoutMs: 200, maxRetries: 2, backoff: 1_000 },
    );
    const [id] = await fill(backend, "q", 1);
    await flush();
    await advance(clock, 199);
    expect(reasons).toHaveLength(0);
    await advance(clock, 1);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(TimeoutError);
    const [pending] = backend.pending("q");
    expect(pending?.availableAt).toBe(clock.now() + 1_000); // fixed backoff of 1 s
    await advance(clock, 1_000 + 200 + 1_000 + 200);
    expect(events).toEqual([
      "started:1", "timedOut:1", "failed:1", "retried:1",
      "started:2", "timedOut:2", "failed:2", "retried:2",
      "started:3", "timedOut:3", "failed:3", "deadLettered:3",
    ]);
    const letter = await backend.deadLetters.get(id!);
    expect(letter).toMatchObject({ reason: "max-retries", queue: "q", error: { name: "TimeoutError", code: "MQ_TIMEOUT", message: expect.stringContaining("200 ms") } });
    expect(letter?.error?.stack).toContain("TimeoutError");
    expect(letter?.attemptTimestamps).toHaveLength(3);
    expect(dispatcher.stats("q")[0]).toMatchObject({ timedOut: 3, failed: 3, retried: 2, deadLettered: 1, running: 0, abandoned: 0 });
  });

  it("frees the slot of a handler that never settles and counts it abandoned", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    const done: number[] = [];
    dispatcher.handle<{ n: number }>(
      "q",
      (p) => (p.n === 0 ? new Promise(() => undefined) : void done.push(p.n)), // message 0 hangs forever
      { timeoutMs: 100, maxRetries: 0, maxParallelism: 1 },
    );
    await fill(backend, "q", 4);
    await flush();
    expect(done).toEqual([]); // the hung handler holds the only slot
    await advance(clock, 100);
    expect(done).toEqual([1, 2, 3]);
    expect(dispatcher.stats("q")[0]).toMatchObject({ abandoned: 1, running: 0, timedOut: 1, deadLettered: 1, succeeded: 3 });
  });

  it("fences a late completion: its ack and extendLease fail, its result is ignored", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    const late: { ack?: unknown; extend?: unknown; publish?: unknown } = {};
    let calls = 0;
    dispatcher.handle(
      "q",
      async (_p, ctx: HandlerContext) => {
        calls++;
        if (calls > 1) return; // the retry succeeds quickly
        await sleepOn(clock, 300); // ignores the abort, finishes after 3 × timeout
        late.ack = await backend.ack([ctx.receipt]).catch((e: unknown) => e);
        late.extend = await ctx.extendLease(1_000).catch((e: unknown) => e);
        try {
          ctx.publish("next", "late");
        } catch (error) {
          late.publish = error;
        }
      },
      { timeoutMs: 100, maxRetries: 3, backoff: 50 },
    );
    const [id] = await fill(backend, "q", 1);
    await advance(clock, 400);
    expect(late.ack).toBeInstanceOf(LeaseLostError);
    expect(late.extend).toBeInstanceOf(LeaseLostError);
    expect(late.publish).toBeInstanceOf(LeaseLostError);
    expect(backend.acked).toEqual([id]); // exactly one successful ack: the retry's
    expect(backend.pending("next")).toEqual([]);
    expect(dispatcher.stats("q")[0]).toMatchObject({ succeeded: 1, timedOut: 1, abandoned: 0 });
  });
});

describe("isolation", () => {
  it("a handler that rejects after its timeout leaves no unhandled rejection", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      dispatcher.handle(
        "q",
        async () => {
          await sleepOn(clock, 500);
          throw new Error("late failure");
        },
        { timeoutMs: 100, maxRetries: 0 },
      );
      await fill(backend, "q", 1);
      await advance(clock, 600);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      expect(dispatcher.stats("q")[0]).toMatchObject({ timedOut: 1, deadLettered: 1, abandoned: 0 });
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});

describe("lease heartbeats", () => {
  it("keep a job of 10× the lease length alive", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    const attempts: number[] = [];
    const expired: string[] = [];
    backend.events.on("leaseExpired", (e) => expired.push(e.id));
    dispatcher.handle(
      "q",
      async (_p, ctx: HandlerContext) => {
        attempts.push(ctx.attempt);
        await sleepOn(clock, 1_000);
      },
      { leaseMs: 100, timeoutMs: 5_000, autoExtend: true },
    );
    await fill(backend, "q", 1);
    await advance(clock, 1_100, 5);
    expect(expired).toEqual([]);
    expect(attempts).toEqual([1]);
    expect(backend.acked).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0); // heartbeat and timeout timers stopped
  });

  it("also keep prefetched deliveries alive while they wait for a slot", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    const attempts: number[] = [];
    const expired: string[] = [];
    backend.events.on("leaseExpired", (e) => expired.push(e.id));
    dispatcher.handle(
      "q",
      async (_p, ctx: HandlerContext) => {
        attempts.push(ctx.attempt);
        await sleepOn(clock, 250);
      },
      { leaseMs: 100, maxParallelism: 1, prefetch: 3 },
    );
    await fill(backend, "q", 4);
    await flush();
    expect(dispatcher.stats("q")[0]).toMatchObject({ running: 1, buffered: 3 });
    await advance(clock, 1_100, 5); // the last one waits 750 ms, 7.5 leases
    expect(expired).toEqual([]);
    expect(attempts).toEqual([1, 1, 1, 1]);
    expect(backend.acked).toHaveLength(4);
    expect(clock.pendingTimers).toBe(0);
  });

  it("without autoExtend the lease expires and the message is delivered again", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    const attempts: number[] = [];
    dispatcher.handle(
      "q",
      async (_p, ctx: HandlerContext) => {
        attempts.push(ctx.attempt);
        await sleepOn(clock, 1_000);
      },
      { leaseMs: 100, timeoutMs: 5_000, autoExtend: false, maxParallelism: 2 },
    );
    await fill(backend, "q", 1);
    await advance(clock, 150, 5);
    expect(attempts).toEqual([1, 2]);
    await advance(clock, 1_000, 5);
    // The first invocation's ack is fenced (its lease was superseded); later ones were redelivered again.
    expect(dispatcher.stats("q")[0]!.failed).toBeGreaterThanOrEqual(1);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
  });

  it("ctx.extendLease moves the heartbeat instead of shortening the lease", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    const extends_: number[] = [];
    const original = backend.extend.bind(backend);
    backend.extend = async (receipt: string, ms: number) => {
      extends_.push(ms);
      return original(receipt, ms);
    };
    dispatcher.handle(
      "q",
      async (_p, ctx: HandlerContext) => {
        await ctx.extendLease(3_000);
        await sleepOn(clock, 2_500);
      },
      { leaseMs: 300 },
    );
    await fill(backend, "q", 1);
    await advance(clock, 2_600, 10);
    expect(backend.acked).toHaveLength(1);
    // First the manual 3 s extension; heartbeats of 300 ms resume only when 200 ms of it remain.
    expect(extends_[0]).toBe(3_000);
    expect(extends_.length).toBeLessThanOrEqual(2);
  });

  it("aborts the handler when a heartbeat finds the lease lost", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    let reason: unknown;
    backend.extend = async (receipt: string) => {
      throw new LeaseLostError(receipt);
    };
    dispatcher.handle(
      "q",
      (_p, ctx: HandlerContext) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            reason = ctx.signal.reason;
            resolve();
          });
        }),
      { leaseMs: 300 },
    );
    await fill(backend, "q", 1);
    await advance(clock, 150, 10);
    expect(reason).toBeInstanceOf(LeaseLostError);
  });
});
