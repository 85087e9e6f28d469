import type { Ev } from "./events";
import { ms, type DelRec, type HistoryIndex } from "./history-index";

// Time questions the checks ask of an indexed history: crashes, lease spans, outcomes.

/** The first crash or restart strictly between `from` and `to`, if any. */
export function crashBetween(h: HistoryIndex, from: bigint, to: bigint): Ev | undefined {
  const c = firstCrashAfter(h, from);
  return c !== undefined && c.t < to ? c : undefined;
}

/** The first crash or restart strictly after `t` (binary search: histories can hold many). */
export function firstCrashAfter(h: HistoryIndex, t: bigint): Ev | undefined {
  let lo = 0;
  let hi = h.crashes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((h.crashes[mid]?.t ?? 0n) > t) hi = mid;
    else lo = mid + 1;
  }
  return h.crashes[lo];
}

/**
 * A crash that may have erased a write made between `invokeT` and `settleT`:
 * in `none` any later crash; in `interval` one within `intervalMs` after the
 * write settled; never in `always`/`batch`. Only before `before` counts.
 */
export function forgettingCrash(h: HistoryIndex, invokeT: bigint, settleT: bigint, before?: bigint): Ev | undefined {
  if (h.cfg.mode === "always" || h.cfg.mode === "batch") return undefined;
  const c = firstCrashAfter(h, invokeT);
  if (c === undefined || (before !== undefined && c.t >= before)) return undefined;
  if (h.cfg.mode === "interval" && c.t > settleT + ms(h.cfg.intervalMs) + h.eps) return undefined;
  return c;
}

/** Whether an op's settle is a definite failure (it did nothing). */
export function definitelyFailed(op: { settle?: Ev }): boolean {
  return op.settle?.k.endsWith(".fail") === true;
}

/** Whether an op may have taken effect (ok, info, or never settled). */
export function mayHaveApplied(op: { settle?: Ev }): boolean {
  return !definitelyFailed(op);
}

/**
 * Earliest time the lease of a delivery could end by expiry. An extension sets
 * the end to `leaseMs` from when it applies (it may shorten the lease), so the
 * last successful extension decides, unless a later one of unknown outcome applied.
 */
export function earliestExpiry(del: DelRec): bigint {
  let end = del.invoke.t + ms(del.d.leaseMs);
  let maybe: bigint | undefined;
  for (const ext of del.exts) {
    const set = ext.invoke.t + ms(ext.invoke.leaseMs);
    if (ext.settle?.k === "ext.ok") {
      end = set;
      maybe = undefined;
    } else if (ext.settle?.k !== "ext.fail") {
      maybe = maybe === undefined || set < maybe ? set : maybe;
    }
  }
  return maybe !== undefined && maybe < end ? maybe : end;
}

/**
 * Until when the delivery surely held an exclusive lease (from its recv.ok):
 * its earliest expiry less the timing slack `eps`, cut short by anything that
 * may have released it (an ack or nack invoked, a crash or restart, its
 * consumer disconnecting). Events of one process are ordered, so those cuts need no slack.
 */
export function surelyHeldUntil(h: HistoryIndex, del: DelRec): bigint {
  let end = earliestExpiry(del) - h.eps;
  const release = (t: bigint): void => {
    if (t < end) end = t;
  };
  for (const ack of del.acks) if (releases(ack.settle)) release(ack.invoke.t);
  for (const nack of del.nacks) if (releases(nack.settle)) release(nack.invoke.t);
  const crash = firstCrashAfter(h, del.invoke.t);
  if (crash !== undefined) release(crash.t);
  const gone = h.disconnects.get(del.invoke.consumer)?.find((t) => t > del.invoke.t);
  if (gone !== undefined) release(gone);
  return end;
}

// ---------------------------------------------------------------------------

// A definite failure other than a lost lease did nothing, so it released nothing.
function releases(settle: Ev | undefined): boolean {
  if (settle === undefined || !settle.k.endsWith(".fail")) return true;
  return "code" in settle && settle.code === "MQ_LEASE_LOST";
}
