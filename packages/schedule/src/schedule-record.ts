import type { EnqueueOptions, ScheduleCatchUp, ScheduleInfo } from "@mq/core";

/** A schedule's definition as a backend stores it. `id` tells one definition of a name from a later one. */
export interface ScheduleDefinition {
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
}

/** A definition with its fire state (a backend may keep the state apart, as @mq/redis does). */
export interface ScheduleRecord extends ScheduleDefinition {
  nextFireAt: number;
  lastFireAt?: number;
}

/** The public view of a record, as `QueueBackend.schedules()` returns it. */
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
