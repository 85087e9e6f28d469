import type { Clock, TimerHandle } from "../clock";

/** A {@link Clock} driven by the test: time moves only when told to. */
export interface ManualClock extends Clock {
  /** Move both clocks forward by `ms`, firing due timers in deadline order. */
  advance(ms: number): void;
  /** Move only the wall clock (a clock jump); timers are not affected. */
  jumpWall(ms: number): void;
  /** Timers currently armed. */
  readonly pendingTimers: number;
}

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** Creates a {@link ManualClock} starting at wall time `startWall` and monotonic time 0. */
export function createManualClock(startWall = 1_700_000_000_000): ManualClock {
  let wall = startWall;
  let mono = 0;
  let nextId = 1;
  const timers = new Map<number, Timer>();
  return {
    now: () => wall,
    monotonic: () => mono,
    setTimeout(fn, ms): TimerHandle {
      if (!(ms >= 0 && ms <= 2 ** 31 - 1)) throw new RangeError(`timer delay ${ms} ms is out of range; a real setTimeout would fire at once`);
      const id = nextId++;
      timers.set(id, { id, at: mono + ms, fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const target = mono + ms;
      for (;;) {
        let due: Timer | undefined;
        for (const t of timers.values()) if (t.at <= target && (due === undefined || t.at < due.at || (t.at === due.at && t.id < due.id))) due = t;
        if (due === undefined) break;
        timers.delete(due.id);
        wall += due.at - mono;
        mono = due.at;
        due.fn();
      }
      wall += target - mono;
      mono = target;
    },
    jumpWall(ms) {
      wall += ms;
    },
    get pendingTimers() {
      return timers.size;
    },
  };
}
