import { InvalidOptionsError, systemClock } from "@mq/core";
import type { Clock, OptionIssue } from "@mq/core";

/** Options for {@link LeaseManager}. */
export interface LeaseManagerOptions {
  /**
   * Where time comes from: deadlines use `monotonic()`, snapshots and
   * `schedule()` use `now()`, and the one armed timer uses `setTimeout`.
   * @default systemClock (from `@mq/core`)
   */
  clock?: Clock;
  /** A lease ran out without being released or extended; called once per lease, in deadline order. */
  onExpire: (id: string, token: string) => void;
  /** A scheduled timer (a delayed message) is due; called once per schedule, in deadline order. */
  onDue?: (id: string) => void;
  /**
   * A callback (`onExpire` or `onDue`) threw. The manager carries on with the
   * other due entries either way.
   * @default process.emitWarning(error)
   */
  onError?: (error: unknown, id: string) => void;
}

/** Options after validation, with defaults filled in. */
export interface ResolvedLeaseManagerOptions {
  readonly clock: Clock;
  readonly onExpire: (id: string, token: string) => void;
  readonly onDue: ((id: string) => void) | undefined;
  readonly onError: (error: unknown, id: string) => void;
}

/** Checks `options` once at construction and reports every problem with its path. */
export function resolveOptions(options: LeaseManagerOptions): ResolvedLeaseManagerOptions {
  const issues: OptionIssue[] = [];
  const input = (typeof options === "object" && options !== null ? options : {}) as Partial<Record<keyof LeaseManagerOptions, unknown>>;
  if (input !== options) issues.push({ path: "", message: "expected an options object with an onExpire callback" });
  if (typeof input.onExpire !== "function") issues.push({ path: "onExpire", message: "expected a function (id, token) => void" });
  if (input.onDue !== undefined && typeof input.onDue !== "function") issues.push({ path: "onDue", message: "expected a function (id) => void" });
  if (input.onError !== undefined && typeof input.onError !== "function") issues.push({ path: "onError", message: "expected a function (error, id) => void" });
  if (input.clock !== undefined && !isClock(input.clock)) issues.push({ path: "clock", message: "expected a Clock with now, monotonic, setTimeout and clearTimeout" });
  if (issues.length > 0) throw new InvalidOptionsError("lease", issues);
  return {
    clock: options.clock ?? systemClock,
    onExpire: options.onExpire,
    onDue: options.onDue,
    onError: options.onError ?? warn,
  };
}

// ---------------------------------------------------------------------------

function isClock(value: unknown): value is Clock {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  return typeof c.now === "function" && typeof c.monotonic === "function" && typeof c.setTimeout === "function" && typeof c.clearTimeout === "function";
}

/** Without an `onError`, a throwing callback is reported as a process warning rather than lost or crashing the timer. */
function warn(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : new Error(String(error)));
}
