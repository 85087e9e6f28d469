// The host's side of schedules: validation and fire plans come from @mq/schedule
// (so every backend fires at the same times); here they meet the host's
// enqueue rules and become journal operations.
import type { EnqueueItem, ScheduleSpec } from "@mq/core";
import { buildSchedule as buildRecord, planFire as planFireTimes, type ScheduleOptionChecks, type ScheduleRecord } from "@mq/schedule";
import { ITEM_KEYS, validateItem } from "./enqueue-planner";
import type { Op } from "./ops";

const OPTION_CHECKS: ScheduleOptionChecks = {
  optionKeys: new Set([...ITEM_KEYS].filter((k) => k !== "queue" && k !== "topic" && k !== "payload")),
  validateItem,
};

/** Validates a spec against the host's enqueue rules and builds its record. */
export function buildSchedule(name: string, spec: ScheduleSpec, id: string, now: number): ScheduleRecord {
  return buildRecord(name, spec, id, now, OPTION_CHECKS);
}

/** What firing a due schedule enqueues and the operation that moves it on. */
export interface FirePlan {
  readonly items: EnqueueItem[];
  /** `fired` with the next time, or `unschedule` when the pattern has no more. */
  readonly advance: Op;
}

/** The due fires of `record` at `now` (see @mq/schedule's `planFire`) and the journal op that records them. */
export function planFire(record: ScheduleRecord, now: number): FirePlan {
  const { items, last, next } = planFireTimes(record, now);
  return { items, advance: next === undefined ? ["unschedule", record.name] : ["fired", record.name, record.id, last, next] };
}
