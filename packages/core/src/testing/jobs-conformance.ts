import { expect, it } from "vitest";
import { MQ_ERROR_CODES } from "../errors/error-codes";
import { MqError } from "../errors/mq-error";
import type { QueueBackend } from "../queue-backend";

/** What the job tests need from the suite that runs them. */
export interface JobsConformanceContext {
  open(): Promise<QueueBackend>;
  /** False when the fixture cannot restart. */
  canRestart(): boolean;
  restart(): Promise<QueueBackend>;
  /** Let `ms` pass on the fixture's clock (or in real time). */
  pass(ms: number): Promise<void>;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (error) {
    return MqError.isInstance(error) ? error.code : `not an MqError: ${String(error)}`;
  }
  return undefined;
}

/**
 * The durable job features (lookup, cancel, progress, kept completions,
 * per-message attempt limits). Each test returns early when the backend
 * lacks the optional method it needs, so older adapters still pass.
 */
export function runJobsConformance(ctx: JobsConformanceContext): void {
  it("jobs: looks a message up by id in every state", async ({ skip }) => {
    const b = await ctx.open();
    if (b.getMessage === undefined) return skip("the backend has no getMessage");
    const [ready, later, dead] = await b.enqueue([
      { queue: "q", payload: "ready" },
      { queue: "q", payload: "later", delayMs: 600_000 },
      { queue: "dlq", payload: "dead" },
    ]);
    expect(await b.getMessage("q", ready!.id)).toMatchObject({ id: ready!.id, queue: "q", state: "ready", attempts: 0 });
    expect(await b.getMessage("q", later!.id)).toMatchObject({ state: "delayed" });
    const [d] = await b.receive("q", { max: 1, leaseMs: 60_000 });
    expect(await b.getMessage("q", ready!.id)).toMatchObject({ state: "in-flight", attempts: 1 });
    await b.ack([d!.receipt]);
    const [x] = await b.receive("dlq", { max: 1, leaseMs: 60_000 });
    await b.nack(x!.receipt, { deadLetter: true, reason: { name: "Error", message: "bad" } });
    expect(await b.getMessage("dlq", dead!.id)).toMatchObject({ state: "dead-lettered", lastError: { message: "bad" } });
    expect((await b.getMessage("q", "0000000000000000000000none")).state).toBe("unknown");
  });

  it("jobs: cancels a ready or delayed message durably, refuses an in-flight one, and reports an unknown one", async ({ skip }) => {
    const b = await ctx.open();
    if (b.cancel === undefined) return skip("the backend has no cancel");
    const [held, ready, later, kept] = await b.enqueue([
      { queue: "q", payload: "held" },
      { queue: "q", payload: "ready" },
      { queue: "q", payload: "later", delayMs: 600_000 },
      { queue: "q", payload: "kept" },
    ]);
    const [d] = await b.receive("q", { max: 1, leaseMs: 600_000 });
    expect(d!.message.id).toBe(held!.id);
    expect(await codeOf(b.cancel("q", held!.id))).toBe(MQ_ERROR_CODES.IN_FLIGHT);
    await b.cancel("q", ready!.id);
    await b.cancel("q", later!.id);
    expect(await codeOf(b.cancel("q", ready!.id))).toBe(MQ_ERROR_CODES.NOT_FOUND);
    const s = await b.stats("q");
    expect([s.ready, s.delayed, s.inFlight]).toEqual([1, 0, 1]);
    if (!ctx.canRestart()) return;
    const b2 = await ctx.restart();
    // Checked without waiting out the delay, so a backend on a server's real clock runs it too:
    // the cancelled ones stay gone, the refused one stays (held, or ready where a restart ends leases).
    const after = await b2.stats("q");
    expect([after.ready + after.inFlight, after.delayed]).toEqual([2, 0]);
    const got = (await b2.receive("q", { max: 10, leaseMs: 60_000 })).map((g) => g.message.id);
    expect(got).toContain(kept!.id);
    expect(got.filter((id) => id !== kept!.id && id !== held!.id)).toEqual([]);
  });

  it("jobs: keeps a running delivery's progress visible in getMessage", async ({ skip }) => {
    const b = await ctx.open();
    if (b.progress === undefined || b.getMessage === undefined) return skip("the backend has no progress, getMessage");
    const [r] = await b.enqueue([{ queue: "q", payload: 1 }]);
    const [d] = await b.receive("q", { max: 1, leaseMs: 60_000 });
    await b.progress(d!.receipt, { pct: 40 });
    expect((await b.getMessage("q", r!.id)).progress).toEqual({ pct: 40 });
    await b.ack([d!.receipt]);
    expect(await codeOf(b.progress(d!.receipt, 1))).toBe(MQ_ERROR_CODES.LEASE_LOST);
  });

  it("jobs: keeps completions with results only when the queue asks, bounded by count, across a restart", async ({ skip }) => {
    const b = await ctx.open();
    if (b.completion === undefined) return skip("the backend has no completion");
    await b.configureQueue("kept", { keepCompleted: { count: 3 } });
    const items = Array.from({ length: 5 }, (_, i) => ({ queue: "kept", payload: i }));
    const results = await b.enqueue(items);
    const got = await b.receive("kept", { max: 5, leaseMs: 60_000 });
    await b.ack(
      got.map((g) => g.receipt),
      [],
      { results: got.map((g) => ({ square: (g.message.payload as number) ** 2 })) },
    );
    const [plain] = await b.enqueue([{ queue: "plain", payload: 1 }]);
    const [p] = await b.receive("plain", { max: 1, leaseMs: 60_000 });
    await b.ack([p!.receipt], [], { results: ["ignored"] });
    expect(await b.completion(plain!.id)).toBeUndefined();
    const check = async (backend: QueueBackend): Promise<void> => {
      const kept = await Promise.all(results.map((r) => backend.completion!(r.id)));
      expect(kept.map((k) => k?.result)).toEqual([undefined, undefined, { square: 4 }, { square: 9 }, { square: 16 }]);
      expect(kept[4]).toMatchObject({ id: results[4]!.id, queue: "kept" });
    };
    await check(b);
    if (!ctx.canRestart()) return;
    await check(await ctx.restart());
  });

  it("jobs: honours a message's own maxAttempts over the queue's, across a restart", async () => {
    const b = await ctx.open();
    let id: string;
    try {
      const [r] = await b.enqueue([{ queue: "q", payload: "x", maxAttempts: 2 }]);
      id = r!.id;
    } catch {
      return; // the backend has no per-message limits
    }
    const [d] = await b.receive("q", { max: 1, leaseMs: 60_000 });
    if (d!.message.maxAttempts === undefined) return;
    expect(d!.message).toMatchObject({ id, maxAttempts: 2 });
    expect((await b.nack(d!.receipt)).action).toBe("retried");
    const b2 = ctx.canRestart() ? await ctx.restart() : b;
    const [again] = await b2.receive("q", { max: 1, leaseMs: 60_000 });
    expect(again!.message.maxAttempts).toBe(2);
    expect(await b2.nack(again!.receipt)).toMatchObject({ action: "dead-lettered", attempts: 2 });
  });

  it("jobs: fires a durable schedule once per fire time, without drift, and keeps it across a restart", async ({ skip }) => {
    const b = await ctx.open();
    if (b.schedule === undefined || b.schedules === undefined || b.unschedule === undefined) return skip("the backend has no schedule, schedules, unschedule");
    const info = await b.schedule("every-5s", { everyMs: 5_000, queue: "sched", payload: { ping: true } });
    expect(info).toMatchObject({ name: "every-5s", queue: "sched", catchUp: "latest" });
    await ctx.pass(5_000);
    await ctx.pass(0);
    const first = await b.receive("sched", { max: 10, leaseMs: 60_000 });
    expect(first.map((d) => d.message.payload)).toEqual([{ ping: true }]);
    expect(first[0]!.message.headers).toMatchObject({ "mq-schedule": "every-5s", "mq-fire-at": String(info.nextFireAt) });
    const b2 = ctx.canRestart() ? await ctx.restart() : b;
    const [kept] = await b2.schedules!();
    expect(kept).toMatchObject({ name: "every-5s", lastFireAt: info.nextFireAt, nextFireAt: info.nextFireAt + 5_000 });
    expect(await b2.unschedule!("every-5s")).toBe(true);
    expect(await b2.schedules!()).toEqual([]);
  });

  it("jobs: refuses an empty schedule name and reports an unknown one as absent", async ({ skip }) => {
    const b = await ctx.open();
    if (b.unschedule === undefined) return skip("the backend has no unschedule");
    expect(await codeOf(b.unschedule(""))).toBe(MQ_ERROR_CODES.INVALID_ARGUMENT);
    expect(await b.unschedule("no-such-schedule")).toBe(false);
  });
}
