import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_TIMER_MS, systemClock } from "@mq/core";
import type { Clock } from "@mq/core";
import { createManualClock } from "@mq/core/testing";
import { LeaseManager } from "./lease-manager";
import { DAY, recordingManager } from "../test/recorder";

// L3 (reliability-anchors §5): deadlines beyond 2^31-1 ms are re-armed, never
// passed to setTimeout whole (it would overflow and fire after ~1 ms).

describe("L3: timer overflow", () => {
  it("a 30-day lease and a 30-day schedule fire exactly once, at +30 days", () => {
    const clock = createManualClock();
    const delays: number[] = [];
    const setTimeout = clock.setTimeout.bind(clock);
    clock.setTimeout = (fn, ms) => {
      delays.push(ms);
      return setTimeout(fn, ms);
    };
    const { manager, fired } = recordingManager({}, clock);
    const token = manager.acquire("lease", 30 * DAY);
    manager.schedule("delayed", clock.now() + 30 * DAY);

    clock.advance(1);
    expect(fired).toEqual([]);
    clock.advance(29 * DAY - 1);
    expect(fired).toEqual([]);
    clock.jumpWall(5 * DAY); // the wall clock jumping ahead changes nothing
    clock.advance(DAY - 1);
    expect(fired).toEqual([]);
    expect(manager.isCurrent(token)).toBe(true);
    clock.advance(1);
    expect(fired).toEqual([
      { kind: "expire", id: "lease", token, at: 30 * DAY },
      { kind: "due", id: "delayed", at: 30 * DAY },
    ]);
    clock.advance(60 * DAY);
    expect(fired).toHaveLength(2);
    expect(delays.length).toBeGreaterThan(1); // it was re-armed on the way
    expect(Math.max(...delays)).toBe(MAX_TIMER_MS);
  });

  it("a wall clock jumping back by days neither delays nor loses a lease", () => {
    const { manager, clock, fired } = recordingManager();
    manager.acquire("m", 10 * DAY);
    manager.schedule("s", clock.now() + 10 * DAY);
    clock.jumpWall(-300 * DAY);
    clock.advance(10 * DAY);
    expect(fired.map((f) => [f.id, f.at])).toEqual([
      ["m", 10 * DAY],
      ["s", 10 * DAY],
    ]);
  });
});

describe("with Node timers", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("never passes more than 2^31-1 ms to setTimeout (fake timers, system clock)", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
    const setTimeoutSpy = vi.fn((fn: () => void, ms: number) => systemClock.setTimeout(fn, ms));
    const spied: Clock = { ...systemClock, setTimeout: setTimeoutSpy };
    const expired: string[] = [];
    const manager = new LeaseManager({ clock: spied, onExpire: (id) => expired.push(id) });
    manager.acquire("long", 30 * DAY);
    manager.acquire("longer", 100 * DAY);

    vi.advanceTimersByTime(29 * DAY);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(DAY);
    expect(expired).toEqual(["long"]);
    vi.advanceTimersByTime(70 * DAY);
    expect(expired).toEqual(["long", "longer"]);

    const delays = setTimeoutSpy.mock.calls.map(([, ms]) => ms);
    expect(delays.length).toBeGreaterThan(2);
    expect(delays.every((ms) => ms >= 0 && ms <= MAX_TIMER_MS)).toBe(true);
    manager.close();
  });

  it("a short real lease fires once, not before its deadline", async () => {
    const at: number[] = [];
    let deadline = 0;
    let resolve: () => void = () => {};
    const promise = new Promise<void>((r) => (resolve = r));
    const manager = new LeaseManager({
      onExpire: () => {
        at.push(performance.now());
        resolve();
      },
    });
    manager.acquire("m", 15);
    deadline = manager.deadlineOf("m")!;
    await promise;
    await new Promise((r) => setTimeout(r, 20));
    expect(at).toHaveLength(1);
    expect(at[0]).toBeGreaterThanOrEqual(deadline);
    manager.close();
  });
});
