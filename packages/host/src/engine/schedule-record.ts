import type { EnqueueOptions, ScheduleCatchUp, ScheduleInfo } from "@mq/core";

/** Prefix of timer ids that fire schedules (message ids never start with it). */
export const SCHEDULE_PREFIX = "\u0000sched:";

/** A schedule as the journal and snapshots store it. `id` tells one definition of a name from a later one. */
export interface ScheduleRecord {
  readonly id: string;
  readonly name: string;
  readonly cron?: string;
  readonly everyMs?: number;
  readonly tz?: string;
  readonly queue: string;
  readonly payload: unknown;
  readonly options?: EnqueueOptions;
  readonly catchUp: ScheduleCatchUp;
  readonly startAt: number;
  nextFireAt: number;
  lastFireAt?: number;
}

/** The public view of a record. */
export function toScheduleInfo(r: ScheduleRecord): ScheduleInfo {
  return {
    name: r.name,
    ...(r.cron === undefined ? {} : { cron: r.cron }),
    ...(r.everyMs === undefined ? {} : { everyMs: r.everyMs }),
    ...(r.tz === undefined ? {} : { tz: r.tz }),
    queue: r.queue,
    payload: r.payload,
    ...(r.options === undefined ? {} : { options: r.options }),
    catchUp: r.catchUp,
    startAt: r.startAt,
    nextFireAt: r.nextFireAt,
    ...(r.lastFireAt === undefined ? {} : { lastFireAt: r.lastFireAt }),
  };
}
