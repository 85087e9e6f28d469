import { afterEach, describe, expect, it } from "vitest";
import { MQ_ERROR_CODES } from "../errors/error-codes";
import { MqError } from "../errors/mq-error";
import type { Delivery } from "../message";
import type { QueueBackend } from "../queue-backend";
import { runGroupsConformance } from "./groups-conformance";
import { runJobsConformance } from "./jobs-conformance";

/** A clock the test can move: the backend's timers (leases, delays, TTLs, long polls) run on it. */
export interface FixtureClock {
  /** Move time forward by `ms`, firing the backend's due timers. */
  advance(ms: number): void | Promise<void>;
}

/** A backend under test, plus how to restart it on the same storage and clean up. */
export interface BackendFixture {
  readonly backend: QueueBackend;
  /**
   * The clock the backend's timers run on, when the test can move it (a
   * `createManualClock()` passed to the backend). With it, the tests of time
   * (lease expiry, extend, delays, TTL, long-poll timeouts) advance it and
   * cannot be broken by a slow machine; without it (a backend whose deadlines
   * come from a server's clock) they wait in real time with generous durations.
   * A restarted backend must use the same clock.
   */
  readonly clock?: FixtureClock;
  /** Close (if not closed) and open a new backend on the same storage. */
  readonly restart?: () => Promise<QueueBackend>;
  readonly cleanup?: () => Promise<void>;
}

/** What differs between backends. */
export interface BackendConformanceOptions {
  /** Leases survive a restart (shared backends) instead of ending at once (embedded, Decision 4). */
  readonly leasesSurviveRestart?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Lets pending promise chains and I/O callbacks run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
};

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(10);
  }
}

function expectCode(error: unknown, code: string): void {
  expect(MqError.isInstance(error), `expected an MqError with code ${code}, got ${String(error)}`).toBe(true);
  expect((error as MqError).code).toBe(code);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

/**
 * The behaviour every {@link QueueBackend} must show, as a vitest suite. An
 * adapter's test file calls it with a factory that opens a fresh backend on
 * empty storage for each test.
 */
export function runBackendConformance(name: string, makeBackend: () => Promise<BackendFixture>, options: BackendConformanceOptions = {}): void {
  describe(`QueueBackend conformance: ${name}`, () => {
    let fixture: BackendFixture | undefined;
    let current: QueueBackend | undefined;
    const open = async (): Promise<QueueBackend> => {
      fixture = await makeBackend();
      current = fixture.backend;
      return current;
    };
    const restart = async (): Promise<QueueBackend> => {
      if (fixture?.restart === undefined) throw new Error("fixture has no restart");
      current = await fixture.restart();
      return current;
    };

    /** Time as the tests of time see it: a manual clock when the fixture has one, else real time. */
    const time = {
      get manual(): boolean {
        return fixture?.clock !== undefined;
      },
      /** A duration: short on a manual clock, generous in real time (a slow disk must not eat a lease). */
      pick(manualMs: number, realMs: number): number {
        return fixture?.clock === undefined ? realMs : manualMs;
      },
      /** Let `ms` pass. */
      async pass(ms: number): Promise<void> {
        const clock = fixture?.clock;
        if (clock === undefined) {
          await sleep(ms);
          return;
        }
        await settle();
        await clock.advance(ms);
        await settle();
      },
      /** Let time pass in steps of `stepMs` until `promise` settles (a long poll whose timer is armed asynchronously). */
      async until<T>(promise: Promise<T>, stepMs: number): Promise<T> {
        let settled = false;
        const watched = promise.finally(() => (settled = true));
        for (let i = 0; i < 1_000 && !settled; i++) await time.pass(stepMs);
        return watched;
      },
    };

    afterEach(async () => {
      await current?.close().catch(() => undefined);
      await fixture?.cleanup?.();
      fixture = undefined;
      current = undefined;
    });

    runJobsConformance({ open, canRestart: () => fixture?.restart !== undefined, restart, pass: (ms) => time.pass(ms) });
    runGroupsConformance({
      open,
      canRestart: () => fixture?.restart !== undefined,
      restart,
      leasesSurviveRestart: () => options.leasesSurviveRestart === true,
      manualClock: () => time.manual,
      pass: (ms) => time.pass(ms),
      until: (promise, stepMs) => time.until(promise, stepMs),
    });

    it("delivers an enqueued message and forgets it once acked", async () => {
      const b = await open();
      const [r] = await b.enqueue([{ queue: "q", payload: { n: 1 }, correlationId: "c-1", headers: { traceparent: "00-abc-def-01" } }]);
      expect(r?.status).toBe("created");
      const [d] = await b.receive("q", { max: 10, leaseMs: 5_000 });
      expect(d?.message).toMatchObject({ id: r?.id, queue: "q", payload: { n: 1 }, correlationId: "c-1", headers: { traceparent: "00-abc-def-01" }, attempts: 1 });
      expect(d?.attempt).toBe(1);
      await b.ack([d!.receipt]);
      expect(await b.receive("q", { max: 10, leaseMs: 5_000 })).toEqual([]);
      const s = await b.stats("q");
      expect([s.ready, s.inFlight, s.delayed]).toEqual([0, 0, 0]);
    });

    it("delivers higher priorities first and FIFO within a priority", async () => {
      const b = await open();
      await b.enqueue([
        { queue: "q", payload: "low-1", priority: 1 },
        { queue: "q", payload: "high-1", priority: 9 },
        { queue: "q", payload: "low-2", priority: 1 },
        { queue: "q", payload: "mid", priority: 5 },
        { queue: "q", payload: "high-2", priority: 9 },
      ]);
      const got = await b.receive("q", { max: 10, leaseMs: 5_000 });
      expect(got.map((d) => d.message.payload)).toEqual(["high-1", "high-2", "mid", "low-1", "low-2"]);
    });

    it("rejects a batch with one bad item whole", async () => {
      const b = await open();
      const err = await rejection(b.enqueue([{ queue: "q", payload: 1 }, { queue: "q", payload: 2, priority: 42 }]));
      expectCode(err, MQ_ERROR_CODES.INVALID_ARGUMENT);
      expect((await b.stats("q")).ready).toBe(0);
    });

    it("rejects payloads that cannot be stored faithfully", async () => {
      const b = await open();
      expectCode(await rejection(b.enqueue([{ queue: "q", payload: { f: () => 1 } }])), MQ_ERROR_CODES.INVALID_PAYLOAD);
      expectCode(await rejection(b.enqueue([{ queue: "", payload: 1 }])), MQ_ERROR_CODES.INVALID_ARGUMENT);
    });

    it("long-polls: a waiting receive is woken by the enqueue", async () => {
      const b = await open();
      const waiting = b.receive("q", { max: 1, leaseMs: 5_000, waitMs: 5_000 });
      await sleep(20);
      await b.enqueue([{ queue: "q", payload: "late" }]);
      const got = await waiting;
      expect(got.map((d) => d.message.payload)).toEqual(["late"]);
      expect(await time.until(b.receive("q", { max: 1, leaseMs: 5_000, waitMs: 30 }), 10)).toEqual([]);
    });

    it("redelivers after a lease expires, with the attempt counted, and fences the old receipt", async () => {
      const b = await open();
      await b.enqueue([{ queue: "q", payload: "x" }]);
      const leaseMs = time.pick(50, 300);
      const [first] = await b.receive("q", { max: 1, leaseMs });
      await time.pass(leaseMs);
      let second: Delivery | undefined;
      await eventually(async () => {
        [second] = await b.receive("q", { max: 1, leaseMs: 5_000 });
        return second !== undefined;
      });
      expect(second?.attempt).toBe(2);
      expect(second?.message.id).toBe(first?.message.id);
      expectCode(await rejection(b.ack([first!.receipt])), MQ_ERROR_CODES.LEASE_LOST);
      await b.ack([second!.receipt]);
    });

    it("runs its leases on the fixture's clock, when it has one: real time alone ends no lease", async ({ skip }) => {
      const b = await open();
      if (!time.manual) return skip("needs a manual clock in the fixture");
      await b.enqueue([{ queue: "q", payload: "x" }]);
      const [d] = await b.receive("q", { max: 1, leaseMs: 20 });
      await sleep(60);
      expect(await b.receive("q", { max: 1, leaseMs: 1_000 })).toEqual([]);
      await b.extend(d!.receipt, 1_000);
      await b.ack([d!.receipt]);
    });

    it("extends a lease", async () => {
      const b = await open();
      await b.enqueue([{ queue: "q", payload: "x" }]);
      const leaseMs = time.pick(80, 1_000);
      const [d] = await b.receive("q", { max: 1, leaseMs });
      await b.extend(d!.receipt, time.pick(5_000, 10_000));
      await time.pass(time.pick(150, 1_500));
      expect(await b.receive("q", { max: 1, leaseMs: 1_000 })).toEqual([]);
      if (time.manual) {
        // The extended lease ends when extend said, not before and not never.
        await time.pass(4_850);
        let again: Delivery | undefined;
        await eventually(async () => {
          [again] = await b.receive("q", { max: 1, leaseMs: 60_000 });
          return again !== undefined;
        });
        expect(again?.attempt).toBe(2);
        expectCode(await rejection(b.ack([d!.receipt])), MQ_ERROR_CODES.LEASE_LOST);
        return;
      }
      await b.ack([d!.receipt]);
    });

    it("fences unknown receipts without changing anything", async () => {
      const b = await open();
      expectCode(await rejection(b.ack(["not-a-receipt"])), MQ_ERROR_CODES.LEASE_LOST);
      expectCode(await rejection(b.nack("1.nope")), MQ_ERROR_CODES.LEASE_LOST);
      expectCode(await rejection(b.extend("1.nope", 1_000)), MQ_ERROR_CODES.LEASE_LOST);
    });

    it("retries a nacked message after its delay and dead-letters it when attempts run out", async () => {
      const b = await open();
      await b.configureQueue("q", { maxAttempts: 2 });
      const [r] = await b.enqueue([{ queue: "q", payload: "poison" }]);
      const [d1] = await b.receive("q", { max: 1, leaseMs: 60_000 });
      const delayMs = time.pick(100, 1_000);
      const o1 = await b.nack(d1!.receipt, { delayMs, reason: { name: "Error", message: "first" } });
      expect(o1.action).toBe("retried");
      expect(await b.receive("q", { max: 1, leaseMs: 5_000 })).toEqual([]);
      await time.pass(delayMs);
      let d2: Delivery | undefined;
      await eventually(async () => {
        [d2] = await b.receive("q", { max: 1, leaseMs: 5_000 });
        return d2 !== undefined;
      });
      expect(d2?.attempt).toBe(2);
      const o2 = await b.nack(d2!.receipt, { reason: { name: "TypeError", message: "second", stack: "TypeError: second\n  at x" } });
      expect(o2.action).toBe("dead-lettered");
      const letter = await b.deadLetters.get(r!.id);
      expect(letter).toMatchObject({ queue: "q", reason: "max-retries", error: { name: "TypeError", message: "second" } });
      expect(letter?.attemptTimestamps).toHaveLength(2);
      expect(await b.deadLetters.count({ queue: "q" })).toBe(1);
    });

    it("accepts any maxAttempts up to Number.MAX_SAFE_INTEGER on nack (a hand-back that never dead-letters)", async () => {
      const b = await open();
      await b.configureQueue("q", { maxAttempts: 1 });
      await b.enqueue([{ queue: "q", payload: "x" }]);
      const [d] = await b.receive("q", { max: 1, leaseMs: 60_000 });
      const outcome = await b.nack(d!.receipt, { delayMs: 0, maxAttempts: Number.MAX_SAFE_INTEGER });
      expect(outcome.action).toBe("retried");
      const [again] = await b.receive("q", { max: 1, leaseMs: 60_000 });
      expect(again?.attempt).toBe(2);
    });

    it("releases unstarted deliveries: ready at once, attempt count restored, no retry counted", async () => {
      const b = await open();
      const nacked: unknown[] = [];
      b.events.on("nacked", (e) => nacked.push(e));
      await b.enqueue([{ queue: "q", payload: "a" }, { queue: "q", payload: "b" }]);
      const first = await b.receive("q", { max: 2, leaseMs: 60_000 });
      expect(first.map((d) => d.attempt)).toEqual([1, 1]);
      await b.release(first.map((d) => d.receipt));
      const s = await b.stats("q");
      expect([s.ready, s.inFlight, s.totals.retried]).toEqual([2, 0, 0]);
      expect(nacked).toEqual([]);
      const again = await b.receive("q", { max: 2, leaseMs: 60_000 });
      expect(again.map((d) => d.message.payload).sort()).toEqual(["a", "b"]);
      expect(again.map((d) => d.attempt)).toEqual([1, 1]);
      expect(again.map((d) => d.message.attempts)).toEqual([1, 1]);
      // The released receipts are fenced; a batch holding one stale receipt changes nothing.
      expectCode(await rejection(b.ack([first[0]!.receipt])), MQ_ERROR_CODES.LEASE_LOST);
      expectCode(await rejection(b.release([again[0]!.receipt, first[1]!.receipt])), MQ_ERROR_CODES.LEASE_LOST);
      expect((await b.stats("q")).inFlight).toBe(2);
      await b.ack(again.map((d) => d.receipt));
      expect((await b.stats("q")).totals.acked).toBe(2);
    });

    it("releases without using up attempts, so a message released many times is never dead-lettered", async () => {
      const b = await open();
      await b.configureQueue("q", { maxAttempts: 2 });
      await b.enqueue([{ queue: "q", payload: "x" }]);
      for (let i = 0; i < 5; i++) {
        const [d] = await b.receive("q", { max: 1, leaseMs: 60_000 });
        expect(d?.attempt).toBe(1);
        await b.release([d!.receipt]);
      }
      expect((await b.stats("q")).deadLettered).toBe(0);
      expect(await b.release([])).toBeUndefined();
    });

    it("peeks at ready messages in delivery order without leasing them", async ({ skip }) => {
      const b = await open();
      if (b.peek === undefined) return skip("the backend has no peek");
      await b.enqueue([{ queue: "q", payload: "low", priority: 1 }, { queue: "q", payload: "high", priority: 9 }, { queue: "q", payload: "later", delayMs: 60_000 }]);
      expect((await b.peek("q", 10)).map((m) => m.payload)).toEqual(["high", "low"]);
      expect((await b.peek("q", 1)).map((m) => m.payload)).toEqual(["high"]);
      expect(await b.peek("nothing-here", 5)).toEqual([]);
      const [d] = await b.receive("q", { max: 1, leaseMs: 60_000 });
      expect(d?.attempt).toBe(1);
      expect((await b.peek("q", 10)).map((m) => m.payload)).toEqual(["low"]);
    });

    it("purges a queue's ready and delayed messages, leaving in-flight ones to finish", async ({ skip }) => {
      const b = await open();
      if (b.purge === undefined) return skip("the backend has no purge");
      await b.enqueue([{ queue: "q", payload: "leased" }]);
      const [d] = await b.receive("q", { max: 1, leaseMs: 60_000 });
      await b.enqueue([{ queue: "q", payload: "ready" }, { queue: "q", payload: "later", delayMs: 60_000 }, { queue: "other", payload: "kept" }]);
      expect(await b.purge("q")).toBe(2);
      const s = await b.stats("q");
      expect([s.ready, s.delayed, s.inFlight]).toEqual([0, 0, 1]);
      await b.ack([d!.receipt]);
      expect((await b.stats("other")).ready).toBe(1);
      expect(await b.purge("q")).toBe(0);
    });

    it("lists, replays and purges dead letters", async () => {
      const b = await open();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const [r] = await b.enqueue([{ queue: "q", payload: i }]);
        ids.push(r!.id);
        const [d] = await b.receive("q", { max: 1, leaseMs: 5_000 });
        await b.nack(d!.receipt, { deadLetter: true, reason: { name: "Error", message: `bad ${i}` } });
      }
      const page1 = await b.deadLetters.list({ limit: 2 });
      expect(page1.items.map((l) => l.message.id)).toEqual(ids.slice(0, 2));
      const page2 = await b.deadLetters.list({ limit: 10, ...(page1.nextCursor === undefined ? {} : { cursor: page1.nextCursor }) });
      expect(page2.items.map((l) => l.message.id)).toEqual(ids.slice(2));
      expect(page1.items[0]?.reason).toBe("rejected");
      const replayed = await b.deadLetters.replay(ids[0]!);
      expect(replayed.replayed).toBe(1);
      const [again] = await b.receive("q", { max: 1, leaseMs: 5_000 });
      expect(again?.message.payload).toBe(0);
      expect(again?.attempt).toBe(1);
      expect(await b.deadLetters.purge({ queue: "q" })).toBe(4);
      expect(await b.deadLetters.count()).toBe(0);
      expectCode(await rejection(b.deadLetters.replay("missing")), MQ_ERROR_CODES.NOT_FOUND);
    });

    it("refuses unknown receive and nack option keys, naming the key", async () => {
      const b = await open();
      await b.enqueue([{ queue: "q", payload: 1 }]);
      const bad = await rejection(b.receive("q", { max: 1, leaseMs: 5_000, maxx: 5 } as unknown as { max: number; leaseMs: number }));
      expectCode(bad, MQ_ERROR_CODES.INVALID_ARGUMENT);
      expect((bad as Error).message).toContain("maxx");
      const [d] = await b.receive("q", { max: 1, leaseMs: 5_000 });
      expect(d?.attempt).toBe(1);
      // `delay` for `delayMs` would otherwise retry at once.
      const typo = await rejection(b.nack(d!.receipt, { delay: 5_000 } as unknown as { delayMs: number }));
      expectCode(typo, MQ_ERROR_CODES.INVALID_ARGUMENT);
      expect((typo as Error).message).toContain("delay");
      // The refused nack changed nothing: the lease is still held and can be acked.
      await b.ack([d!.receipt]);
      expect((await b.stats("q")).ready).toBe(0);
    });

    it("refuses a mistyped dead-letter filter and deletes or replays nothing", async () => {
      const b = await open();
      for (let i = 0; i < 2; i++) {
        await b.enqueue([{ queue: "q", payload: i }]);
        const [d] = await b.receive("q", { max: 1, leaseMs: 5_000 });
        await b.nack(d!.receipt, { deadLetter: true });
      }
      // A filter key the backend ignored would select every dead letter.
      const typo = { queu: "q" } as unknown as { queue: string };
      expectCode(await rejection(b.deadLetters.purge(typo)), MQ_ERROR_CODES.INVALID_ARGUMENT);
      expectCode(await rejection(b.deadLetters.replay(typo)), MQ_ERROR_CODES.INVALID_ARGUMENT);
      expectCode(await rejection(b.deadLetters.count(typo)), MQ_ERROR_CODES.INVALID_ARGUMENT);
      expectCode(await rejection(b.deadLetters.list({ ...typo, limit: 10 })), MQ_ERROR_CODES.INVALID_ARGUMENT);
      expectCode(await rejection(b.deadLetters.replay({ queue: "q" }, { queu: "other" } as unknown as { queue: string })), MQ_ERROR_CODES.INVALID_ARGUMENT);
      expect(await b.deadLetters.count()).toBe(2);
      expect(await b.receive("q", { max: 10, leaseMs: 5_000 })).toEqual([]);
    });

    it("replaces a pending message with the same key in place, and creates a new one while it is in flight", async () => {
      const b = await open();
      const [a] = await b.enqueue([{ queue: "q", payload: { v: 1 }, key: "K" }]);
      const [a2] = await b.enqueue([{ queue: "q", payload: { v: 2 }, key: "K" }]);
      expect(a2).toMatchObject({ id: a?.id, status: "replaced", version: 2 });
      const [d] = await b.receive("q", { max: 10, leaseMs: 5_000 });
      expect(d?.message).toMatchObject({ payload: { v: 2 }, version: 2, key: "K" });
      const [c] = await b.enqueue([{ queue: "q", payload: { v: 3 }, key: "K" }]);
      expect(c?.status).toBe("created");
      expect(c?.id).not.toBe(a?.id);
      expect(c?.version).toBe(3);
      await b.ack([d!.receipt]);
      const [e] = await b.enqueue([{ queue: "q", payload: { v: 4 }, key: "K" }]);
      expect(e).toMatchObject({ id: c?.id, status: "replaced", version: 4 });
      const got = await b.receive("q", { max: 10, leaseMs: 5_000 });
      expect(got.map((x) => x.message.payload)).toEqual([{ v: 4 }]);
    });

    it("drops duplicates within the window in drop mode", async () => {
      const b = await open();
      await b.configureQueue("q", { dedupMode: "drop", dedupWindowMs: 60_000 });
      const [a] = await b.enqueue([{ queue: "q", payload: 1, key: "K" }]);
      const [dup] = await b.enqueue([{ queue: "q", payload: 2, key: "K" }]);
      expect(dup).toMatchObject({ id: a?.id, status: "duplicate" });
      const got = await b.receive("q", { max: 10, leaseMs: 5_000 });
      expect(got.map((x) => x.message.payload)).toEqual([1]);
      await b.ack([got[0]!.receipt]);
      const [afterAck] = await b.enqueue([{ queue: "q", payload: 3, key: "K" }]);
      expect(afterAck?.status).toBe("duplicate");
    });

    it("checks an expected version", async () => {
      const b = await open();
      await b.enqueue([{ queue: "q", payload: 1, key: "K" }]);
      expectCode(await rejection(b.enqueue([{ queue: "q", payload: 2, key: "K", expectedVersion: 5 }])), MQ_ERROR_CODES.VERSION_CONFLICT);
      const [ok] = await b.enqueue([{ queue: "q", payload: 2, key: "K", expectedVersion: 1 }]);
      expect(ok?.version).toBe(2);
    });

    it("holds delayed messages until due and never delivers expired ones", async () => {
      const b = await open();
      const delayMs = time.pick(150, 1_000);
      await b.enqueue([
        { queue: "q", payload: "later", delayMs },
        { queue: "q", payload: "stale", ttlMs: 1 },
      ]);
      await time.pass(20);
      expect(await b.receive("q", { max: 10, leaseMs: 5_000 })).toEqual([]);
      await time.pass(delayMs);
      let got: Delivery[] = [];
      await eventually(async () => {
        got = await b.receive("q", { max: 10, leaseMs: 5_000 });
        return got.length > 0;
      });
      expect(got.map((d) => d.message.payload)).toEqual(["later"]);
    });

    it("acks and publishes atomically", async () => {
      const b = await open();
      await b.configureQueue("full", { capacity: 1 });
      await b.enqueue([{ queue: "full", payload: "occupant" }, { queue: "q", payload: "parent" }]);
      const [d] = await b.receive("q", { max: 1, leaseMs: 5_000 });
      expectCode(await rejection(b.ack([d!.receipt], [{ queue: "full", payload: "child" }])), MQ_ERROR_CODES.QUEUE_FULL);
      await b.ack([d!.receipt], [{ queue: "next", payload: "child", causationId: d!.message.id }]);
      const [child] = await b.receive("next", { max: 1, leaseMs: 5_000 });
      expect(child?.message).toMatchObject({ payload: "child", causationId: d!.message.id });
    });

    it("lists a topic's bound queues", async ({ skip }) => {
      const b = await open();
      if (b.bindings === undefined) return skip("the backend has no bindings");
      expect(await b.bindings("t")).toEqual([]);
      await b.bind("t", "q2");
      await b.bind("t", "q1");
      expect((await b.bindings("t")).sort()).toEqual(["q1", "q2"]);
      await b.unbind("t", "q2");
      expect(await b.bindings("t")).toEqual(["q1"]);
    });

    it("fans a topic out to every bound queue", async () => {
      const b = await open();
      await b.bind("orders", "billing");
      await b.bind("orders", "shipping");
      const [r] = await b.enqueue([{ topic: "orders", payload: { id: 7 } }]);
      expect(r?.copies?.map((c) => c.queue).sort()).toEqual(["billing", "shipping"]);
      for (const q of ["billing", "shipping"]) expect((await b.receive(q, { max: 5, leaseMs: 5_000 })).map((d) => d.message.payload)).toEqual([{ id: 7 }]);
      await b.unbind("orders", "shipping");
      await b.enqueue([{ topic: "orders", payload: { id: 8 } }]);
      expect(await b.receive("shipping", { max: 5, leaseMs: 5_000 })).toEqual([]);
    });

    it("enforces capacity and payload size", async () => {
      const b = await open();
      await b.configureQueue("q", { capacity: 2, maxPayloadBytes: 64 });
      await b.enqueue([{ queue: "q", payload: 1 }, { queue: "q", payload: 2 }]);
      expectCode(await rejection(b.enqueue([{ queue: "q", payload: 3 }])), MQ_ERROR_CODES.QUEUE_FULL);
      expectCode(await rejection(b.enqueue([{ queue: "other", payload: 1 }, { queue: "q", payload: 4 }])), MQ_ERROR_CODES.QUEUE_FULL);
      expect((await b.stats("other")).ready).toBe(0);
      await b.configureQueue("big", { maxPayloadBytes: 64 });
      expectCode(await rejection(b.enqueue([{ queue: "big", payload: "x".repeat(100) }])), MQ_ERROR_CODES.PAYLOAD_TOO_LARGE);
    });

    it("waits for room when asked, and gives up on abort", async () => {
      const b = await open();
      await b.configureQueue("q", { capacity: 1 });
      await b.enqueue([{ queue: "q", payload: 1 }]);
      const waiting = b.enqueue([{ queue: "q", payload: 2 }], { waitIfFull: true });
      await sleep(20);
      const [d] = await b.receive("q", { max: 1, leaseMs: 5_000 });
      await b.ack([d!.receipt]);
      const [r] = await waiting;
      expect(r?.status).toBe("created");
      const controller = new AbortController();
      const aborted = b.enqueue([{ queue: "q", payload: 3 }], { waitIfFull: true, signal: controller.signal });
      controller.abort();
      expectCode(await rejection(aborted), MQ_ERROR_CODES.ABORTED);
    });

    it("emits events for transitions", async () => {
      const b = await open();
      const seen: string[] = [];
      b.events.on("enqueued", (e) => seen.push(`enqueued:${e.status}`));
      b.events.on("acked", () => seen.push("acked"));
      b.events.on("ready", (q) => seen.push(`ready:${q}`));
      await b.enqueue([{ queue: "q", payload: 1 }]);
      await sleep(5);
      const [d] = await b.receive("q", { max: 1, leaseMs: 5_000 });
      await b.ack([d!.receipt]);
      expect(seen).toEqual(expect.arrayContaining(["enqueued:created", "ready:q", "acked"]));
    });

    it("refuses work once closed", async () => {
      const b = await open();
      await b.close();
      expectCode(await rejection(b.enqueue([{ queue: "q", payload: 1 }])), MQ_ERROR_CODES.HOST_CLOSED);
      expectCode(await rejection(b.receive("q", { max: 1, leaseMs: 1_000 })), MQ_ERROR_CODES.HOST_CLOSED);
    });

    it("keeps a release across a restart: the attempt it handed back stays unused", async ({ skip }) => {
      await open();
      if (fixture?.restart === undefined) return skip("the fixture cannot restart the backend");
      const b = current!;
      await b.enqueue([{ queue: "q", payload: "r" }]);
      const [d] = await b.receive("q", { max: 1, leaseMs: 60_000 });
      await b.release([d!.receipt]);
      const b2 = await restart();
      const [again] = await b2.receive("q", { max: 1, leaseMs: 60_000 });
      expect(again?.message.payload).toBe("r");
      expect(again?.attempt).toBe(1);
    });

    it("keeps enqueued messages, dead letters and bindings across a restart, and never redelivers acked ones", async ({ skip }) => {
      const b = await open();
      if (fixture?.restart === undefined) return skip("the fixture cannot restart the backend");
      await b.bind("t", "q");
      await b.enqueue([{ queue: "q", payload: "acked" }]);
      const [d] = await b.receive("q", { max: 1, leaseMs: 60_000 });
      await b.ack([d!.receipt]);
      await b.enqueue([{ queue: "q", payload: "kept", priority: 3 }, { queue: "q", payload: "first", priority: 8 }]);
      await b.enqueue([{ queue: "q", payload: "held" }]);
      const [held] = await b.receive("q", { max: 1, leaseMs: 60_000 });
      expect(held?.message.payload).toBe("first");
      await b.enqueue([{ queue: "dlq-src", payload: "dead" }]);
      const [dead] = await b.receive("dlq-src", { max: 1, leaseMs: 60_000 });
      await b.nack(dead!.receipt, { deadLetter: true });
      const b2 = await restart();
      expect(await b2.deadLetters.count()).toBe(1);
      const got = await b2.receive("q", { max: 10, leaseMs: 60_000 });
      const payloads = got.map((x) => x.message.payload);
      expect(payloads).not.toContain("acked");
      if (options.leasesSurviveRestart === true) expect(payloads).toEqual(["kept", "held"]);
      else {
        expect(payloads).toEqual(["first", "kept", "held"]);
        expect(got.find((x) => x.message.payload === "first")?.attempt).toBe(2);
      }
      await b2.enqueue([{ topic: "t", payload: "via-topic" }]);
      expect((await b2.receive("q", { max: 10, leaseMs: 60_000 })).map((x) => x.message.payload)).toEqual(["via-topic"]);
    });
  });
}
