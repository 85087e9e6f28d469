import { expect, it } from "vitest";
import { MQ_ERROR_CODES } from "../errors/error-codes";
import { MqError } from "../errors/mq-error";
import type { Delivery } from "../message";
import type { BackendCapabilities, QueueBackend } from "../queue-backend";

/** What the group and limit tests need from the suite that runs them. */
export interface GroupsConformanceContext {
  open(): Promise<QueueBackend>;
  /** False when the fixture cannot restart. */
  canRestart(): boolean;
  restart(): Promise<QueueBackend>;
  /** True when leases outlive a restart (shared backends); the restart test then hands its held lease back. */
  leasesSurviveRestart?(): boolean;
  /** True when the fixture's clock is manual (the token-bucket tests need one). */
  manualClock(): boolean;
  /** Let `ms` pass on the fixture's clock (or in real time). */
  pass(ms: number): Promise<void>;
  /** Let time pass in steps of `stepMs` until `promise` settles. */
  until<T>(promise: Promise<T>, stepMs: number): Promise<T>;
}

const LEASE = 60_000;

function has(b: QueueBackend, feature: keyof BackendCapabilities): boolean {
  return b.capabilities?.[feature] === true;
}

const payloads = (ds: readonly Delivery[]): unknown[] => ds.map((d) => d.message.payload);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (error) {
    return MqError.isInstance(error) ? error.code : `not an MqError: ${String(error)}`;
  }
  return undefined;
}

/** Receives one message at a time (acking each) until `n` were delivered; returns their payloads in order. */
async function drainOneByOne(b: QueueBackend, queue: string, n: number): Promise<unknown[]> {
  const got: unknown[] = [];
  for (let i = 0; i < n * 3 && got.length < n; i++) {
    const [d] = await b.receive(queue, { max: 1, leaseMs: LEASE });
    if (d === undefined) continue;
    got.push(d.message.payload);
    await b.ack([d.receipt]);
  }
  return got;
}

/**
 * Ordering groups, rate limits, the global in-flight cap and `throttle`
 * (issue 16). Each test returns early unless the backend announces the
 * capability it needs in `capabilities`, so adapters opt in one feature at a
 * time; tests of token-bucket refill also need the fixture's manual clock.
 */
export function runGroupsConformance(ctx: GroupsConformanceContext): void {
  // ---- groups --------------------------------------------------------------

  it("groups: delivers a group's messages in order, one at a time", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    await b.enqueue(["a1", "a2", "a3"].map((payload) => ({ queue: "q", payload, group: "g" })));
    const [first, ...rest] = await b.receive("q", { max: 10, leaseMs: LEASE });
    expect(rest).toEqual([]);
    expect(first?.message).toMatchObject({ payload: "a1", group: "g" });
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toEqual([]);
    await b.ack([first!.receipt]);
    expect(await drainOneByOne(b, "q", 2)).toEqual(["a2", "a3"]);
  });

  it("groups: runs different groups in parallel and never holds ungrouped messages back", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    await b.enqueue([
      { queue: "q", payload: "a1", group: "a" },
      { queue: "q", payload: "a2", group: "a" },
      { queue: "q", payload: "b1", group: "b" },
      { queue: "q", payload: "b2", group: "b" },
      { queue: "q", payload: "u1" },
      { queue: "q", payload: "u2" },
    ]);
    const got = await b.receive("q", { max: 10, leaseMs: LEASE });
    expect(payloads(got).sort()).toEqual(["a1", "b1", "u1", "u2"]);
    expect(got.find((d) => d.message.payload === "u1")?.message.group).toBeUndefined();
  });

  it("groups: a waiting receive is woken when the group's head is acked", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    await b.enqueue([
      { queue: "q", payload: "a1", group: "g" },
      { queue: "q", payload: "a2", group: "g" },
    ]);
    const [d] = await b.receive("q", { max: 10, leaseMs: LEASE });
    const waiting = b.receive("q", { max: 10, leaseMs: LEASE, waitMs: 30_000 });
    await b.ack([d!.receipt]);
    expect(payloads(await waiting)).toEqual(["a2"]);
  });

  it("groups: block (the default) retries the failed head before anything after it", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    await b.enqueue([
      { queue: "q", payload: "a1", group: "g" },
      { queue: "q", payload: "a2", group: "g" },
    ]);
    const [d] = await b.receive("q", { max: 10, leaseMs: LEASE });
    const delayMs = ctx.manualClock() ? 100 : 500;
    await b.nack(d!.receipt, { delayMs });
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toEqual([]);
    expect((await b.stats("q")).groups).toMatchObject({ blocked: 1, ready: 0, active: 0 });
    await ctx.pass(delayMs);
    const [again] = await b.receive("q", { max: 10, leaseMs: LEASE, waitMs: ctx.manualClock() ? 0 : 2_000 });
    expect(again?.message.payload).toBe("a1");
    expect(again?.attempt).toBe(2);
    await b.ack([again!.receipt]);
    expect(await drainOneByOne(b, "q", 1)).toEqual(["a2"]);
  });

  it("groups: skip lets the next message proceed and retries the failed one behind it", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    await b.configureQueue("q", { groupOnFailure: "skip" });
    await b.enqueue(["a1", "a2", "a3"].map((payload) => ({ queue: "q", payload, group: "g" })));
    const [d] = await b.receive("q", { max: 10, leaseMs: LEASE });
    expect(await b.nack(d!.receipt)).toMatchObject({ action: "retried" });
    expect(await drainOneByOne(b, "q", 3)).toEqual(["a2", "a3", "a1"]);
  });

  it("groups: a dead-lettered head unblocks its group", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    await b.enqueue([
      { queue: "q", payload: "a1", group: "g" },
      { queue: "q", payload: "a2", group: "g" },
    ]);
    const [d] = await b.receive("q", { max: 10, leaseMs: LEASE });
    expect(await b.nack(d!.receipt, { deadLetter: true })).toMatchObject({ action: "dead-lettered" });
    expect(await drainOneByOne(b, "q", 1)).toEqual(["a2"]);
  });

  it("groups: an expired lease keeps the head first", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    await b.enqueue([
      { queue: "q", payload: "a1", group: "g" },
      { queue: "q", payload: "a2", group: "g" },
    ]);
    const leaseMs = ctx.manualClock() ? 50 : 400;
    await b.receive("q", { max: 10, leaseMs });
    await ctx.pass(leaseMs + 10);
    const [again] = await b.receive("q", { max: 10, leaseMs: LEASE, waitMs: ctx.manualClock() ? 0 : 3_000 });
    expect(again?.message.payload).toBe("a1");
    expect(again?.attempt).toBe(2);
  });

  it("groups: under skip, an expired lease also puts its message behind the group", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    await b.configureQueue("q", { groupOnFailure: "skip" });
    await b.enqueue(["a1", "a2"].map((payload) => ({ queue: "q", payload, group: "g" })));
    const leaseMs = ctx.manualClock() ? 50 : 400;
    await b.receive("q", { max: 10, leaseMs });
    await ctx.pass(leaseMs + 10);
    const [next] = await b.receive("q", { max: 10, leaseMs: LEASE, waitMs: ctx.manualClock() ? 0 : 3_000 });
    expect(next?.message.payload).toBe("a2");
    await b.ack([next!.receipt]);
    expect(await drainOneByOne(b, "q", 1)).toEqual(["a1"]);
  });

  it("groups: serves ready groups round robin, so a hot group cannot starve 100 cold ones", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    await b.enqueue(Array.from({ length: 200 }, (_, i) => ({ queue: "q", payload: `hot-${i}`, group: "hot" })));
    await b.enqueue(Array.from({ length: 100 }, (_, i) => ({ queue: "q", payload: `cold-${i}`, group: `cold-${i}` })));
    const first = await drainOneByOne(b, "q", 102);
    const cold = first.filter((p) => String(p).startsWith("cold-"));
    expect(cold).toHaveLength(100);
    const hot = first.filter((p) => String(p).startsWith("hot-"));
    expect(hot).toEqual(hot.slice().sort((x, y) => Number(String(x).slice(4)) - Number(String(y).slice(4))));
  });

  it("groups: priorities order groups (by their head), not messages inside a group", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    await b.enqueue([
      { queue: "q", payload: "a-low", group: "a", priority: 0 },
      { queue: "q", payload: "a-high", group: "a", priority: 9 },
      { queue: "q", payload: "b-mid", group: "b", priority: 5 },
    ]);
    const got = await b.receive("q", { max: 10, leaseMs: LEASE });
    expect(payloads(got)).toEqual(["b-mid", "a-low"]);
    await b.ack(got.map((d) => d.receipt));
    expect(payloads(await b.receive("q", { max: 10, leaseMs: LEASE }))).toEqual(["a-high"]);
  });

  it("groups: counts groups by state in stats", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    await b.enqueue([
      { queue: "q", payload: "a1", group: "a" },
      { queue: "q", payload: "a2", group: "a" },
      { queue: "q", payload: "b1", group: "b" },
    ]);
    const [a1] = await b.receive("q", { max: 1, leaseMs: LEASE });
    expect(a1?.message.payload).toBe("a1");
    const s = await b.stats("q");
    expect(s.groups).toEqual({ ready: 1, blocked: 0, active: 1, throttled: 0 });
    expect(s.ready).toBe(2);
  });

  it("groups: rejects a group that is not a non-empty string of bounded length", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    for (const group of ["", "x".repeat(10_000), 42, null]) {
      expect(await codeOf(b.enqueue([{ queue: "q", payload: 1, group: group as string }]))).toBe(MQ_ERROR_CODES.INVALID_ARGUMENT);
    }
    expect((await b.stats("q")).ready).toBe(0);
  });

  it("groups: publish carries the group to every bound queue", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups")) return skip("the backend has no groups capability");
    await b.bind("t", "q1");
    await b.bind("t", "q2");
    await b.enqueue([
      { topic: "t", payload: "x1", group: "g" },
      { topic: "t", payload: "x2", group: "g" },
    ]);
    for (const q of ["q1", "q2"]) {
      const got = await b.receive(q, { max: 10, leaseMs: LEASE });
      expect(got.map((d) => [d.message.payload, d.message.group])).toEqual([["x1", "g"]]);
    }
  });

  it("groups: keeps group order, moved retries and blocked heads across a restart", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "groups") || !ctx.canRestart()) return skip("needs the capability, a restartable fixture or a manual clock, which this fixture lacks");
    await b.configureQueue("skip", { groupOnFailure: "skip" });
    await b.enqueue(["a1", "a2", "a3"].map((payload) => ({ queue: "q", payload, group: "a" })));
    await b.enqueue(["c1", "c2"].map((payload) => ({ queue: "skip", payload, group: "c" })));
    await b.enqueue(["e1", "e2"].map((payload) => ({ queue: "block", payload, group: "e" })));
    const [a1] = await b.receive("q", { max: 10, leaseMs: LEASE }); // a1 in flight when the backend stops
    const [c1] = await b.receive("skip", { max: 10, leaseMs: LEASE });
    await b.nack(c1!.receipt); // c1 goes behind c2
    const [e1] = await b.receive("block", { max: 10, leaseMs: LEASE });
    await b.nack(e1!.receipt, { delayMs: 600_000 }); // e1 blocks its group
    const b2 = await ctx.restart();
    // Where leases outlive a restart, a1 is still held: its consumer hands it back (same receipt).
    if (ctx.leasesSurviveRestart?.() === true) await b2.release([a1!.receipt]);
    expect(await drainOneByOne(b2, "q", 3)).toEqual(["a1", "a2", "a3"]);
    expect(await drainOneByOne(b2, "skip", 2)).toEqual(["c2", "c1"]);
    expect(await b2.receive("block", { max: 10, leaseMs: LEASE })).toEqual([]);
  });

  // ---- rate limits ---------------------------------------------------------

  it("limits: a queue rate limit is a token bucket on starts", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "rateLimits") || !ctx.manualClock()) return skip("needs the rateLimits capability and a manual clock in the fixture");
    await b.configureQueue("q", { rateLimit: { max: 2, perMs: 1_000 } });
    await b.enqueue(Array.from({ length: 6 }, (_, i) => ({ queue: "q", payload: i })));
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(2);
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(0);
    await ctx.pass(500);
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(1);
    await ctx.pass(5_000); // a long pause refills to the burst size, no more
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(2);
    const s = await b.stats("q");
    expect(s.throttled?.rateLimit).toBeGreaterThan(0);
    expect(s.settings?.rateLimit).toEqual({ max: 2, perMs: 1_000 });
  });

  it("limits: a long poll held back by the rate limit wakes when the bucket refills", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "rateLimits") || !ctx.manualClock()) return skip("needs the rateLimits capability and a manual clock in the fixture");
    await b.configureQueue("q", { rateLimit: { max: 1, perMs: 1_000 } });
    await b.enqueue([
      { queue: "q", payload: 1 },
      { queue: "q", payload: 2 },
    ]);
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(1);
    const waiting = b.receive("q", { max: 10, leaseMs: LEASE, waitMs: 60_000 });
    const got = await ctx.until(waiting, 100);
    expect(payloads(got)).toEqual([2]);
  });

  it("limits: a group rate limit holds each group to its own bucket", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "rateLimits") || !has(b, "groups") || !ctx.manualClock()) return skip("needs the rateLimits capability and a manual clock in the fixture");
    await b.configureQueue("q", { groupRateLimit: { max: 1, perMs: 1_000 } });
    await b.enqueue([
      { queue: "q", payload: "a1", group: "a" },
      { queue: "q", payload: "a2", group: "a" },
      { queue: "q", payload: "b1", group: "b" },
    ]);
    const first = await b.receive("q", { max: 10, leaseMs: LEASE });
    expect(payloads(first).sort()).toEqual(["a1", "b1"]);
    await b.ack(first.map((d) => d.receipt));
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toEqual([]);
    const held = await b.stats("q");
    expect(held.groups?.throttled).toBe(1);
    expect(held.throttled?.groupRateLimit).toBeGreaterThan(0);
    await ctx.pass(1_000);
    expect(payloads(await b.receive("q", { max: 10, leaseMs: LEASE }))).toEqual(["a2"]);
  });

  it("limits: maxInFlight caps leased messages across receivers, and a freed slot wakes a waiter", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "maxInFlight")) return skip("the backend has no maxInFlight capability");
    await b.configureQueue("q", { maxInFlight: 2 });
    await b.enqueue(Array.from({ length: 5 }, (_, i) => ({ queue: "q", payload: i })));
    const held = await b.receive("q", { max: 10, leaseMs: LEASE });
    expect(held).toHaveLength(2);
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toEqual([]);
    const waiting = b.receive("q", { max: 10, leaseMs: LEASE, waitMs: 30_000 });
    await b.ack([held[0]!.receipt]);
    expect(await waiting).toHaveLength(1);
    expect((await b.stats("q")).inFlight).toBe(2);
  });

  it("limits: change at runtime, and null removes them", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "rateLimits") || !has(b, "maxInFlight")) return skip("the backend has no rateLimits / maxInFlight capability");
    await b.configureQueue("q", { rateLimit: { max: 1, perMs: 600_000 }, maxInFlight: 1 });
    await b.enqueue(Array.from({ length: 4 }, (_, i) => ({ queue: "q", payload: i })));
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(1);
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(0);
    await b.configureQueue("q", { rateLimit: null });
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toHaveLength(0); // still capped in flight
    const waiting = b.receive("q", { max: 10, leaseMs: LEASE, waitMs: 30_000 });
    await b.configureQueue("q", { maxInFlight: null }); // lifting a limit wakes a waiting receive
    expect(await waiting).toHaveLength(3);
    expect((await b.stats("q")).settings).toMatchObject({ rateLimit: null, maxInFlight: null });
  });

  it("limits: rejects invalid limit settings", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "rateLimits")) return skip("the backend has no rateLimits capability");
    for (const rateLimit of [{ max: 0, perMs: 1_000 }, { max: 1, perMs: 0 }, { max: 1.5, perMs: 10 }, { max: 1 }]) {
      expect(await codeOf(b.configureQueue("q", { rateLimit: rateLimit as { max: number; perMs: number } }))).toBe(MQ_ERROR_CODES.INVALID_OPTIONS);
    }
  });

  // ---- throttle ------------------------------------------------------------

  it("throttle: backs a group off without using an attempt, and fences the old receipt", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "throttle") || !has(b, "groups") || b.throttle === undefined) return skip("the backend has no throttle / groups capability");
    await b.enqueue([
      { queue: "q", payload: "a1", group: "a" },
      { queue: "q", payload: "a2", group: "a" },
      { queue: "q", payload: "b1", group: "b" },
    ]);
    const first = await b.receive("q", { max: 10, leaseMs: LEASE });
    const a1 = first.find((d) => d.message.payload === "a1")!;
    const b1 = first.find((d) => d.message.payload === "b1")!;
    const backOffMs = ctx.manualClock() ? 1_000 : 800;
    await b.throttle(a1.receipt, backOffMs);
    expect(await codeOf(b.ack([a1.receipt]))).toBe(MQ_ERROR_CODES.LEASE_LOST);
    await b.ack([b1.receipt]);
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toEqual([]);
    expect((await b.stats("q")).throttled?.backOff ?? 1).toBeGreaterThan(0);
    await ctx.pass(backOffMs);
    const [again] = await b.receive("q", { max: 10, leaseMs: LEASE, waitMs: ctx.manualClock() ? 0 : 3_000 });
    expect(again?.message.payload).toBe("a1");
    expect(again?.attempt).toBe(1);
  });

  it("throttle: an ungrouped message backs the whole queue off", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "throttle") || b.throttle === undefined) return skip("the backend has no throttle capability");
    await b.enqueue([
      { queue: "q", payload: 1 },
      { queue: "q", payload: 2 },
    ]);
    const [d] = await b.receive("q", { max: 1, leaseMs: LEASE });
    const backOffMs = ctx.manualClock() ? 1_000 : 800;
    await b.throttle(d!.receipt, backOffMs);
    expect(await b.receive("q", { max: 10, leaseMs: LEASE })).toEqual([]);
    const waiting = b.receive("q", { max: 10, leaseMs: LEASE, waitMs: 30_000 });
    const got = ctx.manualClock() ? await ctx.until(waiting, 100) : await waiting;
    expect(payloads(got).sort()).toEqual([1, 2]);
  });

  it("throttle: the pause outlives a restart", async ({ skip }) => {
    const b = await ctx.open();
    if (!has(b, "throttle") || !has(b, "groups") || b.throttle === undefined || !ctx.canRestart() || !ctx.manualClock()) return skip("needs the capability, a restartable fixture or a manual clock, which this fixture lacks");
    await b.enqueue([{ queue: "q", payload: "a1", group: "a" }]);
    const [d] = await b.receive("q", { max: 1, leaseMs: LEASE });
    await b.throttle(d!.receipt, 10_000);
    const b2 = await ctx.restart();
    expect(await b2.receive("q", { max: 10, leaseMs: LEASE })).toEqual([]);
    await ctx.pass(10_000);
    expect(payloads(await b2.receive("q", { max: 10, leaseMs: LEASE }))).toEqual(["a1"]);
  });
}
