/** A handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Time as @mq sees it. Persisted times use `now()` (wall-clock epoch ms);
 * deadlines use `monotonic()`, which never jumps. Replace it in tests with
 * `createManualClock()` from `@mq/core/testing`.
 */
export interface Clock {
  /** Wall-clock epoch milliseconds (may jump). */
  now(): number;
  /** Monotonic milliseconds from an arbitrary origin (never jumps back). */
  monotonic(): number;
  /** Run `fn` after at least `ms`; `ms` must be ≤ MAX_TIMER_MS. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Longest delay `setTimeout` accepts; longer ones overflow and fire after ~1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The real clock: `Date.now`, `performance.now`, and Node timers (looked up at
 * call time, so fake timers work). Its timers keep the process alive, as a
 * pending delayed message or long poll should; stop the host to let it exit.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, Math.min(Math.max(ms, 0), MAX_TIMER_MS)),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};
