import { describe, expect, it } from "vitest";
import { createManualClock } from "./manual-clock";

describe("createManualClock", () => {
  it("fires timers in deadline order as time advances, and moves both clocks", () => {
    const clock = createManualClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b"), 20);
    clock.setTimeout(() => fired.push("a"), 10);
    const c = clock.setTimeout(() => fired.push("c"), 15);
    clock.clearTimeout(c);
    clock.advance(15);
    expect(fired).toEqual(["a"]);
    expect(clock.monotonic()).toBe(15);
    expect(clock.now()).toBe(1_015);
    clock.advance(5);
    expect(fired).toEqual(["a", "b"]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("runs timers armed by a firing timer within the same advance", () => {
    const clock = createManualClock();
    const at: number[] = [];
    clock.setTimeout(() => {
      at.push(clock.monotonic());
      clock.setTimeout(() => at.push(clock.monotonic()), 5);
    }, 5);
    clock.advance(10);
    expect(at).toEqual([5, 10]);
  });

  it("jumps the wall clock without touching timers", () => {
    const clock = createManualClock(0);
    let fired = false;
    clock.setTimeout(() => (fired = true), 100);
    clock.jumpWall(-86_400_000);
    expect(clock.now()).toBe(-86_400_000);
    expect(fired).toBe(false);
    clock.advance(100);
    expect(fired).toBe(true);
  });

  it("refuses delays a real setTimeout would overflow", () => {
    const clock = createManualClock();
    expect(() => clock.setTimeout(() => undefined, 2 ** 31)).toThrow(RangeError);
  });
});
