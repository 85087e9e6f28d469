import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "@mq/core";
import { createManualClock } from "@mq/core/testing";
import type { LeaseSnapshot } from "./lease-snapshot";
import { tokenDot, tokenGeneration } from "./token";
import { DAY, recordingManager } from "../test/recorder";

function populated() {
  const r = recordingManager();
  const { manager, clock } = r;
  const tokens = {
    a: manager.acquire("a", 300),
    b: manager.acquire("b.with.dots", 100),
    c: manager.acquire("c", 100),
    long: manager.acquire("long", 40 * DAY),
  };
  manager.schedule("s1", clock.now() + 200);
  manager.schedule("s0", clock.now() + 100);
  return { ...r, tokens };
}

describe("snapshot() / restore()", () => {
  it("is plain data with wall-clock deadlines, in firing order", () => {
    const { manager, clock, tokens } = populated();
    clock.advance(50);
    const snap = manager.snapshot();
    const now = clock.now();
    expect(snap).toEqual({
      version: 1,
      takenAt: now,
      leases: [
        { id: "b.with.dots", token: tokens.b, deadline: now + 50 },
        { id: "c", token: tokens.c, deadline: now + 50 },
        { id: "a", token: tokens.a, deadline: now + 250 },
        { id: "long", token: tokens.long, deadline: now + 40 * DAY - 50 },
      ],
      schedules: [
        { id: "s0", at: now + 50 },
        { id: "s1", at: now + 150 },
      ],
    });
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });

  it("round-trips into another manager: same tokens, same remaining time, same order", () => {
    const source = populated();
    source.clock.advance(50);
    const snap = JSON.parse(JSON.stringify(source.manager.snapshot())) as LeaseSnapshot;

    // Another process, restoring at the same wall time: its monotonic origin differs.
    const clock = createManualClock(source.clock.now() - 123_456);
    clock.advance(123_456);
    const target = recordingManager({}, clock);
    target.manager.acquire("dropped", 1); // restore replaces what was there
    target.manager.restore(snap);

    expect(target.manager.size).toBe(4);
    expect(target.manager.scheduledCount).toBe(2);
    expect(target.manager.tokenOf("dropped")).toBeUndefined();
    for (const token of Object.values(source.tokens)) expect(target.manager.isCurrent(token)).toBe(true);
    expect(target.manager.deadlineOf("a")).toBe(clock.monotonic() + 250);
    expect(target.manager.snapshot()).toEqual(snap);

    // A fresh token on a restored id supersedes the restored one.
    const fresh = target.manager.acquire("c", 10);
    expect(Object.values(source.tokens)).not.toContain(fresh);
    expect(target.manager.isCurrent(source.tokens.c)).toBe(false);
    target.manager.release(fresh);

    source.clock.advance(50 * DAY);
    clock.advance(50 * DAY);
    const order = (f: { kind: string; id: string }[]) => f.map((x) => `${x.kind}:${x.id}`);
    expect(order(source.fired)).toEqual(["expire:b.with.dots", "expire:c", "due:s0", "due:s1", "expire:a", "expire:long"]);
    // The same, less the lease on c that was superseded and released above.
    expect(order(target.fired)).toEqual(order(source.fired).filter((x) => x !== "expire:c"));
    expect(target.fired.map((f) => f.at - clock.monotonic())).toEqual(source.fired.filter((f) => f.id !== "c").map((f) => f.at - source.clock.monotonic()));
  });

  it("past deadlines fire on the next tick, in deadline order", () => {
    const { manager, clock } = populated();
    const snap = manager.snapshot();
    const later = recordingManager({}, createManualClock(clock.now() + DAY));
    later.manager.restore(snap);
    expect(later.fired).toEqual([]);
    expect(later.clock.pendingTimers).toBe(1);
    later.clock.advance(0);
    expect(later.fired.map((f) => f.id)).toEqual(["b.with.dots", "c", "s0", "s1", "a"]);
    expect(later.manager.size).toBe(1);
  });

  it("new tokens after a restore come after every restored generation", () => {
    const high = 2 ** 50;
    const restored = `${high.toString(36)}.a`;
    const { manager } = recordingManager();
    manager.restore({ version: 1, takenAt: 0, leases: [{ id: "a", token: restored, deadline: 1e13 }], schedules: [] });
    expect(manager.isCurrent(restored)).toBe(true);
    const fresh = manager.acquire("a", 10);
    expect(tokenGeneration(fresh, tokenDot(fresh))).toBeGreaterThan(high);
    expect(manager.isCurrent(restored)).toBe(false);
  });

  it("restores a snapshot holding the longest lease", () => {
    const { manager } = recordingManager();
    const token = manager.acquire("forever", 2 ** 53);
    manager.restore(manager.snapshot());
    expect(manager.isCurrent(token)).toBe(true);
  });

  it("an empty snapshot restores to nothing, with no timer", () => {
    const { manager, clock } = recordingManager();
    manager.acquire("x", 5);
    manager.restore({ version: 1, takenAt: 0, leases: [], schedules: [] });
    expect(manager.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it.each([
    ["null", null],
    ["wrong version", { version: 2, leases: [], schedules: [] }],
    ["missing lists", { version: 1 }],
    ["token for another id", { version: 1, leases: [{ id: "a", token: "1.b", deadline: 0 }], schedules: [] }],
    ["malformed token", { version: 1, leases: [{ id: "a", token: "a", deadline: 0 }], schedules: [] }],
    ["bad deadline", { version: 1, leases: [{ id: "a", token: "1.a", deadline: "soon" }], schedules: [] }],
    ["duplicate lease", { version: 1, leases: [{ id: "a", token: "1.a", deadline: 0 }, { id: "a", token: "2.a", deadline: 0 }], schedules: [] }],
    ["bad schedule", { version: 1, leases: [], schedules: [{ id: "s", at: Number.NaN }] }],
    ["duplicate schedule", { version: 1, leases: [], schedules: [{ id: "s", at: 0 }, { id: "s", at: 1 }] }],
  ])("rejects %s and keeps its state", (_name, bad) => {
    const { manager } = recordingManager();
    const token = manager.acquire("keep", 100);
    expect(() => manager.restore(bad as unknown as LeaseSnapshot)).toThrow(InvalidArgumentError);
    expect(manager.isCurrent(token)).toBe(true);
  });
});
