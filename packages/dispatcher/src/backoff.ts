import type { BackoffPolicy } from "./types";

/**
 * Delay before retrying after failed attempt number `attempt` (1-based).
 * Exponential doubles from `baseMs` and is capped at `maxMs`; jitter draws
 * from the upper half of that delay ("equal jitter"), so retries spread out
 * but never come sooner than half the nominal delay.
 */
export function computeBackoff(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const nominal = policy.type === "fixed" ? policy.baseMs : exponential(policy.baseMs, policy.maxMs, attempt);
  if (!policy.jitter || nominal === 0) return nominal;
  const half = nominal / 2;
  return Math.round(half + random() * half);
}

// ---------------------------------------------------------------------------

function exponential(baseMs: number, maxMs: number, attempt: number): number {
  // 2^(attempt-1) overflows to Infinity for huge attempts; Math.min caps it anyway.
  const delay = baseMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(delay, maxMs);
}
