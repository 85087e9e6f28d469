import type { EnqueueOptions } from "./message";

/** What to do with fire times missed while the host was down (or its timer late). */
export type ScheduleCatchUp = "all" | "latest" | "none";

/** A repeating enqueue: every `everyMs`, or on a `cron` pattern (in time zone `tz`). */
export interface ScheduleSpec {
  /** Cron pattern (5 or 6 fields, croner syntax). Give this or `everyMs`. */
  readonly cron?: string;
  /** Fixed interval in ms, counted from `startAt` (no drift). Give this or `cron`. */
  readonly everyMs?: number;
  /** IANA time zone for `cron` (e.g. "Europe/Berlin"). @default UTC */
  readonly tz?: string;
  /** Queue each fire enqueues to. */
  readonly queue: string;
  readonly payload: unknown;
  /** Enqueue options of each fired message (delay, priority, ttl, headers…). */
  readonly options?: EnqueueOptions;
  /**
   * Missed fire times: `all` enqueues one per missed time, `latest` only the
   * most recent, `none` none (a fire is missed when it is over a minute late). @default "latest"
   */
  readonly catchUp?: ScheduleCatchUp;
  /** Wall-clock epoch ms the schedule counts from. @default now */
  readonly startAt?: number;
}

/** A stored schedule, as `schedules()` lists it. */
export interface ScheduleInfo extends ScheduleSpec {
  readonly name: string;
  readonly catchUp: ScheduleCatchUp;
  /** Wall-clock epoch ms of the next fire. */
  readonly nextFireAt: number;
  /** Wall-clock epoch ms of the last fire, if any. */
  readonly lastFireAt?: number;
}
