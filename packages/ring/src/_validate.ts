import { InvalidArgumentError } from "./errors/invalid-argument-error";

/** Throws unless `value` is an integer in `[min, max]`; `name` and `hint` go into the message. */
export function checkInteger(name: string, value: unknown, min: number, max: number, hint: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(name, `${name} must be an integer from ${min} to ${max}, got ${describe(value)}; ${hint}`);
  }
  return value;
}

/** Resolves an optional `timeoutMs` to a number of milliseconds, `Infinity` when absent. */
export function resolveTimeout(value: unknown): number {
  if (value === undefined) return Number.POSITIVE_INFINITY;
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new InvalidArgumentError("timeoutMs", `timeoutMs must be a number ≥ 0 (or Infinity), got ${describe(value)}; omit it to wait without limit`);
  }
  return value;
}

/** The smallest power of two ≥ `n`, for `1 ≤ n ≤ 2^30`. */
export function nextPowerOfTwo(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

// ---------------------------------------------------------------------------

function describe(value: unknown): string {
  return typeof value === "number" || typeof value === "bigint" ? String(value) : typeof value === "string" ? JSON.stringify(value) : typeof value;
}
