// Argument checks every backend runs, so each accepts exactly the same names
// and options and its errors read alike. `operation` is always the first
// argument: it is the call that received the value and leads the message.
import { MAX_TIMER_MS } from "./clock";
import { InvalidArgumentError } from "./errors/invalid-argument-error";

const NAME_MAX = 200;

/**
 * Throws `InvalidArgumentError` unless `name` can name a schedule: a
 * non-empty string of at most 200 characters.
 * @param operation - the call that received it, e.g. `"unschedule"`.
 */
export function assertScheduleName(operation: string, name: unknown): asserts name is string {
  if (typeof name !== "string" || name.length === 0 || name.length > NAME_MAX) {
    throw new InvalidArgumentError(operation, "name", `must be a schedule name (a non-empty string of at most ${NAME_MAX} characters), got ${describe(name)}`);
  }
}

/**
 * Throws `InvalidArgumentError` unless `name` is a queue or topic name:
 * 1–200 characters, no control characters, not the reserved `"*"`.
 * @param operation - the call that received it, e.g. `"enqueue"`: it leads the message.
 */
export function assertName(operation: string, what: "queue" | "topic", name: unknown): asserts name is string {
  // A batch names the same queue in every item: the last name that passed is not checked again.
  if (typeof name === "string" && name === lastValidName) return;
  if (typeof name !== "string" || name.length === 0) throw new InvalidArgumentError(operation, what, `must be a non-empty string, got ${describe(name)}`);
  if (name.length > NAME_MAX) throw new InvalidArgumentError(operation, what, `must be at most ${NAME_MAX} characters, got ${name.length}`);
  if (name === "*") throw new InvalidArgumentError(operation, what, `"*" is reserved (it means every queue in stats)`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new InvalidArgumentError(operation, what, "must not contain control characters");
  lastValidName = name;
}

let lastValidName: string | undefined;

/**
 * Throws `InvalidArgumentError` unless every own key of `value` is in
 * `allowed`, so a typo such as `delay` for `delayMs` is an error (with a
 * "did you mean" hint) instead of an option silently ignored.
 * A `for…in` over a few keys costs tens of nanoseconds: cheap enough per message.
 * @param what - the argument's name in the message, e.g. `"options"` (keys read `options.delay`).
 */
export function assertKnownKeys(operation: string, what: string, value: object, allowed: ReadonlySet<string>): void {
  for (const key in value) {
    if (!allowed.has(key)) {
      const hint = closest(key, allowed);
      throw new InvalidArgumentError(operation, `${what}.${key}`, `is not a known option${hint === undefined ? "" : ` (did you mean "${hint}"?)`}; known: ${[...allowed].join(", ")}`);
    }
  }
}

function closest(key: string, allowed: ReadonlySet<string>): string | undefined {
  const k = key.toLowerCase();
  for (const a of allowed) if (a.toLowerCase().startsWith(k) || k.startsWith(a.toLowerCase())) return a;
  return undefined;
}

/**
 * Throws `InvalidArgumentError` unless `value` is a finite duration in ms,
 * at least `min` (default 0) and, with `timer: true`, at most
 * {@link MAX_TIMER_MS} (~24.8 days) because it arms a timer.
 */
export function assertDuration(operation: string, argument: string, value: unknown, options: { min?: number; timer?: boolean } = {}): asserts value is number {
  const min = options.min ?? 0;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new InvalidArgumentError(operation, argument, `must be a finite number ≥ ${min} (ms), got ${describe(value)}`);
  }
  if (options.timer === true && value > MAX_TIMER_MS) throw new InvalidArgumentError(operation, argument, `must be at most ${MAX_TIMER_MS} ms, got ${value}`);
}

/** A short rendering of a bad value for an error message (strings cut at 40 characters). */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  return typeof value;
}

/** Keys of `receive()` options, shared so every backend refuses the same typos (`{ maxx: 5 }`). */
export const RECEIVE_OPTION_KEYS: ReadonlySet<string> = new Set(["max", "leaseMs", "waitMs", "signal"]);
/** Keys of `nack()` options: a typo such as `{ delay: 5000 }` would otherwise retry at once. */
export const NACK_OPTION_KEYS: ReadonlySet<string> = new Set(["delayMs", "reason", "maxAttempts", "deadLetter"]);
