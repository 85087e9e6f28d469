import type { EnqueueItem } from "@mq/core";
import type { ScheduleDefinition } from "./schedule-record";
import { nextFireAfter } from "./schedule-times";

/** A fire this late is "missed" for `catchUp: "none"` (timers are never exactly on time). */
export const MISSED_AFTER_MS = 60_000;
/** Most missed fires `catchUp: "all"` enqueues at once (the most recent ones): a schedule off for a year must not flood a queue. */
export const MAX_CATCH_UP = 1_000;

/** What firing a due schedule enqueues, the last due time it covers, and its next fire time. */
export interface FirePlan {
  readonly items: EnqueueItem[];
  /** The latest due fire time (the stored next fire when none was due). */
  readonly last: number;
  /** The next fire time after `now`, or `undefined` when the pattern has no more. */
  readonly next: number | undefined;
}

/**
 * The fire times due at `now` (from the stored next fire on, stepping the
 * schedule itself, so lateness never shifts later fires), filtered by the
 * catch-up policy, as enqueue items with headers `mq-schedule` (the name)
 * and `mq-fire-at` (the fire time, epoch ms).
 */
export function planFire(record: ScheduleDefinition & { readonly nextFireAt: number }, now: number): FirePlan {
  const due: number[] = [];
  let t: number | undefined = record.nextFireAt;
  while (t !== undefined && t <= now) {
    due.push(t);
    if (due.length > MAX_CATCH_UP) due.shift();
    t = nextFireAfter(record, t);
  }
  const last = due[due.length - 1] ?? record.nextFireAt;
  const fire = record.catchUp === "all" ? due : record.catchUp === "latest" ? due.slice(-1) : due.filter((at) => at === last && now - at <= MISSED_AFTER_MS);
  const items = fire.map((at): EnqueueItem => ({
    ...record.options,
    queue: record.queue,
    payload: record.payload,
    headers: { ...record.options?.headers, "mq-schedule": record.name, "mq-fire-at": String(at) },
  }));
  return { items, last, next: t };
}
