import { describe, expect, it, vi } from "vitest";
import { HostClosedError, InvalidArgumentError, InvalidOptionsError, LeaseLostError, MQ_ERROR_CODES, MqError } from "@mq/core";
import { createManualClock } from "@mq/core/testing";
import { LeaseManager } from "./lease-manager";
import { DAY, recordingManager } from "../test/recorder";

describe("LeaseManager: leases and fencing", () => {
  it("acquire returns a token for the id; the lease expires once at its deadline", () => {
    const { manager, clock, fired } = recordingManager();
    const token = manager.acquire("m1", 1000);
    expect(manager.idOf(token)).toBe("m1");
    expect(manager.tokenOf("m1")).toBe(token);
    expect(manager.isCurrent(token)).toBe(true);
    expect(manager.deadlineOf("m1")).toBe(1000);
    expect(manager.size).toBe(1);
    expect(manager.nextDeadline).toBe(1000);
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([{ kind: "expire", id: "m1", token, at: 1000 }]);
    expect(manager.isCurrent(token)).toBe(false);
    expect(manager.tokenOf("m1")).toBeUndefined();
    expect(manager.deadlineOf("m1")).toBeUndefined();
    expect(manager.size).toBe(0);
    expect(manager.nextDeadline).toBeUndefined();
    clock.advance(10 * DAY);
    expect(fired).toHaveLength(1);
  });

  it("extend moves the deadline (later or earlier) and keeps the token", () => {
    const { manager, clock, fired } = recordingManager();
    const token = manager.acquire("m", 100);
    clock.advance(90);
    manager.extend(token, 100);
    expect(manager.deadlineOf("m")).toBe(190);
    clock.advance(99);
    expect(fired).toEqual([]);
    manager.extend(token, 5);
    clock.advance(5);
    expect(fired.map((f) => [f.id, f.at])).toEqual([["m", 194]]);
  });

  it("release ends the lease and returns its id; nothing fires", () => {
    const { manager, clock, fired } = recordingManager();
    const token = manager.acquire("a.b.c", 100);
    expect(manager.release(token)).toBe("a.b.c");
    expect(manager.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(1000);
    expect(fired).toEqual([]);
  });

  it("releaseId ends an id's lease without its token; nothing fires and the token is stale", () => {
    const { manager, clock, fired } = recordingManager();
    const token = manager.acquire("m1", 1000);
    manager.schedule("m1", clock.now() + 5000);
    expect(manager.releaseId("m1")).toBe(true);
    expect(manager.releaseId("m1")).toBe(false);
    expect(manager.isCurrent(token)).toBe(false);
    expect(manager.isScheduled("m1")).toBe(true);
    clock.advance(2000);
    expect(fired).toEqual([]);
  });

  it("re-acquiring an id supersedes the old token", () => {
    const { manager, clock, fired } = recordingManager();
    const first = manager.acquire("m", 100);
    const second = manager.acquire("m", 500);
    expect(second).not.toBe(first);
    expect(manager.size).toBe(1);
    expect(manager.isCurrent(first)).toBe(false);
    expect(() => manager.extend(first, 1000)).toThrow(LeaseLostError);
    expect(() => manager.release(first)).toThrow(LeaseLostError);
    clock.advance(100);
    expect(fired).toEqual([]);
    clock.advance(400);
    expect(fired).toEqual([{ kind: "expire", id: "m", token: second, at: 500 }]);
  });

  it("released, expired, re-acquired and made-up tokens are all stale", () => {
    const { manager, clock } = recordingManager();
    const released = manager.acquire("r", 100);
    manager.release(released);
    const expired = manager.acquire("e", 10);
    clock.advance(10);
    manager.acquire("r", 100); // a new lease on r must not revive the released token
    for (const token of [released, expired, "nonsense", "1.r", "", ".r"]) {
      expect(manager.isCurrent(token)).toBe(false);
      const err = (() => {
        try {
          manager.release(token);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(LeaseLostError);
      expect(MqError.hasCode(err, MQ_ERROR_CODES.LEASE_LOST)).toBe(true);
      expect((err as LeaseLostError).receipt).toBe(token);
      expect(() => manager.extend(token, 10)).toThrow(LeaseLostError);
    }
    // A stale release changed nothing.
    expect(manager.size).toBe(1);
  });

  it("a non-canonical spelling of a current token is not current", () => {
    const { manager } = recordingManager();
    const token = manager.acquire("m", 100);
    const dot = token.indexOf(".");
    expect(manager.isCurrent(`0${token}`)).toBe(false);
    const upper = token.slice(0, dot).toUpperCase() + token.slice(dot);
    expect(manager.isCurrent(upper)).toBe(upper === token);
  });

  it("tokens from another manager are not current by coincidence", () => {
    const a = recordingManager().manager;
    const b = recordingManager().manager;
    const ta = a.acquire("m", 100);
    b.acquire("m", 100);
    expect(b.isCurrent(ta)).toBe(false);
  });

  it("idOf parses without a lookup", () => {
    const { manager } = recordingManager();
    expect(manager.idOf("k.some.id")).toBe("some.id");
    expect(manager.idOf("garbage")).toBeUndefined();
    expect(manager.idOf(42 as unknown as string)).toBeUndefined();
  });

  it("a lease and a schedule on the same id are independent", () => {
    const { manager, clock, fired } = recordingManager();
    const token = manager.acquire("m", 10);
    manager.schedule("m", clock.now() + 20);
    manager.release(token);
    expect(manager.isScheduled("m")).toBe(true);
    clock.advance(20);
    expect(fired.map((f) => f.kind)).toEqual(["due"]);
  });
});

describe("LeaseManager: schedules", () => {
  it("fires onDue once at the wall time, converted once to a monotonic deadline", () => {
    const { manager, clock, fired } = recordingManager();
    manager.schedule("d", clock.now() + 5000);
    expect(manager.isScheduled("d")).toBe(true);
    expect(manager.scheduledCount).toBe(1);
    expect(manager.size).toBe(0);
    expect(manager.nextDeadline).toBe(5000);
    clock.jumpWall(4 * DAY); // the wall clock jumps past the time: not due yet
    clock.advance(4999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([{ kind: "due", id: "d", at: 5000 }]);
    expect(manager.isScheduled("d")).toBe(false);
    expect(manager.scheduledCount).toBe(0);
  });

  it("a past time is due on the next tick", () => {
    const { manager, clock, fired } = recordingManager();
    manager.schedule("late", clock.now() - DAY);
    expect(manager.nextDeadline).toBe(-DAY);
    expect(fired).toEqual([]);
    clock.advance(0);
    expect(fired.map((f) => f.id)).toEqual(["late"]);
  });

  it("rescheduling replaces; unschedule cancels", () => {
    const { manager, clock, fired } = recordingManager();
    manager.schedule("a", clock.now() + 100);
    manager.schedule("a", clock.now() + 300);
    manager.schedule("b", clock.now() + 200);
    expect(manager.scheduledCount).toBe(2);
    expect(manager.unschedule("b")).toBe(true);
    expect(manager.unschedule("b")).toBe(false);
    clock.advance(299);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired.map((f) => f.id)).toEqual(["a"]);
  });

  it("without onDue, due schedules are dropped quietly", () => {
    const clock = createManualClock();
    const manager = new LeaseManager({ clock, onExpire: () => {} });
    manager.schedule("x", clock.now() + 1);
    clock.advance(1);
    expect(manager.scheduledCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe("LeaseManager: firing", () => {
  it("reports many leases expiring in the same millisecond, all of them, in insertion order", () => {
    const { manager, clock, fired } = recordingManager();
    const ids = Array.from({ length: 10_000 }, (_, i) => `m${(i * 7919) % 10_000}`);
    for (const id of ids) manager.acquire(id, 50);
    manager.schedule("due-too", clock.now() + 50);
    clock.advance(50);
    expect(fired.map((f) => f.id)).toEqual([...ids, "due-too"]);
    expect(fired.every((f) => f.at === 50)).toBe(true);
  });

  it("fires in deadline order across kinds; ties go by when the deadline was set", () => {
    const { manager, clock, fired } = recordingManager();
    const t1 = manager.acquire("l1", 30);
    manager.acquire("l2", 10);
    manager.schedule("s1", clock.now() + 20);
    manager.acquire("l3", 20);
    manager.extend(t1, 20); // now due at 20, set last
    clock.advance(100);
    expect(fired.map((f) => f.id)).toEqual(["l2", "s1", "l3", "l1"]);
  });

  it("keeps exactly one armed timer with 100,000 live leases", () => {
    const { manager, clock, fired } = recordingManager();
    for (let i = 0; i < 100_000; i++) manager.acquire(`m${i}`, 1 + ((i * 7) % 5000));
    for (let i = 0; i < 1000; i++) manager.schedule(`s${i}`, clock.now() + 10 + i);
    expect(manager.size).toBe(100_000);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(2500);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(2500);
    expect(fired).toHaveLength(101_000);
    expect(clock.pendingTimers).toBe(0);
    expect(fired.findIndex((f, i) => i > 0 && f.at < fired[i - 1]!.at)).toBe(-1);
  });

  it("a throwing callback does not stop the others; onError hears about it", () => {
    const errors: [unknown, string][] = [];
    const { manager, clock, fired } = recordingManager({
      onExpire: (id) => {
        fired.push({ kind: "expire", id, at: clock.monotonic() });
        if (id === "bad") throw new Error("boom");
      },
      onDue: () => {
        throw new Error("due boom");
      },
      onError: (error, id) => {
        errors.push([error, id]);
        throw new Error("the error handler throws too");
      },
    });
    manager.acquire("a", 10);
    manager.acquire("bad", 10);
    manager.schedule("s", clock.now() + 10);
    manager.acquire("c", 10);
    manager.acquire("later", 20);
    clock.advance(10);
    expect(fired.map((f) => f.id)).toEqual(["a", "bad", "c"]);
    expect(errors.map(([e, id]) => [(e as Error).message, id])).toEqual([
      ["boom", "bad"],
      ["due boom", "s"],
    ]);
    clock.advance(10);
    expect(fired.map((f) => f.id)).toEqual(["a", "bad", "c", "later"]);
  });

  it("without onError, a throwing callback becomes a process warning", () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const clock = createManualClock();
      const manager = new LeaseManager({
        clock,
        onExpire: () => {
          throw new Error("boom");
        },
      });
      manager.acquire("a", 1);
      manager.acquire("b", 1);
      clock.advance(1);
      expect(warn).toHaveBeenCalledTimes(2);
      expect((warn.mock.calls[0]![0] as Error).message).toBe("boom");
    } finally {
      warn.mockRestore();
    }
  });

  it("callbacks may re-enter: re-acquire, schedule, release another due lease", () => {
    const clock = createManualClock();
    const fired: string[] = [];
    let other = "";
    const manager: LeaseManager = new LeaseManager({
      clock,
      onExpire: (id, token) => {
        fired.push(`${id}@${clock.monotonic()}`);
        expect(manager.isCurrent(token)).toBe(false);
        if (id === "a" && other !== "") {
          manager.release(other); // due in the same batch, but released first: never reported
          manager.acquire("a", 0); // due now, yet reported on the next tick, not in this loop
          manager.schedule("s", clock.now() + 5);
          other = "";
        }
      },
      onDue: (id) => fired.push(`${id}@${clock.monotonic()}`),
    });
    manager.acquire("a", 10);
    other = manager.acquire("b", 10);
    manager.acquire("c", 10);
    clock.advance(10);
    expect(fired).toEqual(["a@10", "c@10", "a@10"]);
    expect(manager.size).toBe(0);
    clock.advance(5);
    expect(fired).toEqual(["a@10", "c@10", "a@10", "s@15"]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("a callback may clear or close the manager mid-batch", () => {
    const clock = createManualClock();
    const seen: string[] = [];
    const manager: LeaseManager = new LeaseManager({
      clock,
      onExpire: (id) => {
        seen.push(id);
        if (id === "b") manager.clear();
        if (id === "y") manager.close();
      },
    });
    for (const id of ["a", "b", "c"]) manager.acquire(id, 1);
    clock.advance(1);
    expect(seen).toEqual(["a", "b"]);
    expect(manager.size).toBe(0);
    for (const id of ["x", "y", "z"]) manager.acquire(id, 1);
    clock.advance(1);
    expect(seen).toEqual(["a", "b", "x", "y"]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("never re-arms the timer when releasing leases in deadline order", () => {
    const clock = createManualClock();
    const setTimeout = vi.spyOn(clock, "setTimeout");
    const manager = new LeaseManager({ clock, onExpire: () => {} });
    const tokens = Array.from({ length: 100 }, (_, i) => manager.acquire(`m${i}`, 1000 + i));
    for (const t of tokens.slice(0, 99)) manager.release(t);
    expect(setTimeout).toHaveBeenCalledTimes(1);
    expect(clock.pendingTimers).toBe(1);
  });
});

describe("LeaseManager: arguments, clear and close", () => {
  it.each([-1, Number.NaN, Infinity, 2 ** 53 + 2, "5", undefined])("rejects ms = %s", (ms) => {
    const { manager } = recordingManager();
    const token = manager.acquire("m", 1);
    expect(() => manager.acquire("x", ms as number)).toThrow(InvalidArgumentError);
    expect(() => manager.extend(token, ms as number)).toThrow(InvalidArgumentError);
    expect(manager.size).toBe(1);
  });

  it("accepts 0 and 2^53 ms", () => {
    const { manager } = recordingManager();
    manager.acquire("zero", 0);
    manager.acquire("huge", 2 ** 53);
    expect(manager.size).toBe(2);
  });

  it("rejects non-string ids and bad schedule times", () => {
    const { manager } = recordingManager();
    expect(() => manager.acquire(7 as unknown as string, 1)).toThrow(InvalidArgumentError);
    expect(() => manager.schedule("s", Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => manager.schedule("s", 1e16)).toThrow(InvalidArgumentError);
    expect(() => manager.extend(undefined as unknown as string, 1)).toThrow(LeaseLostError);
  });

  it("validates options and reports every problem", () => {
    const bad = () => new LeaseManager({ onExpire: 1, onDue: "x", clock: {} } as never);
    expect(bad).toThrow(InvalidOptionsError);
    try {
      bad();
    } catch (e) {
      expect((e as InvalidOptionsError).issues.map((i) => i.path)).toEqual(["onExpire", "onDue", "clock"]);
    }
    expect(() => new LeaseManager(undefined as never)).toThrow(InvalidOptionsError);
  });

  it("uses the system clock by default", () => {
    const manager = new LeaseManager({ onExpire: () => {} });
    const before = performance.now();
    manager.acquire("m", 60_000);
    expect(manager.deadlineOf("m")).toBeGreaterThanOrEqual(before + 60_000);
    manager.close();
  });

  it("clear drops everything and disarms; old tokens are stale", () => {
    const { manager, clock, fired } = recordingManager();
    const token = manager.acquire("m", 10);
    manager.schedule("s", clock.now() + 10);
    manager.clear();
    expect(manager.size).toBe(0);
    expect(manager.scheduledCount).toBe(0);
    expect(manager.isCurrent(token)).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(100);
    expect(fired).toEqual([]);
    manager.acquire("m", 10);
    clock.advance(10);
    expect(fired).toHaveLength(1);
  });

  it("close disarms; changes throw HostClosedError, queries and snapshot still answer", () => {
    const { manager, clock, fired } = recordingManager();
    const token = manager.acquire("m", 10);
    manager.close();
    manager.close();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(100);
    expect(fired).toEqual([]);
    for (const call of [
      () => manager.acquire("x", 1),
      () => manager.extend(token, 1),
      () => manager.release(token),
      () => manager.schedule("s", 0),
      () => manager.unschedule("s"),
      () => manager.clear(),
      () => manager.restore(manager.snapshot()),
    ]) {
      expect(call).toThrow(HostClosedError);
    }
    expect(manager.size).toBe(1);
    expect(manager.snapshot().leases).toHaveLength(1);
  });
});
