import { Cron } from "croner";

/** What fire times are computed from (a stored schedule's timing fields). */
export interface ScheduleTiming {
  readonly cron?: string;
  readonly everyMs?: number;
  /** IANA zone the cron pattern is read in; UTC when absent. */
  readonly tz?: string;
  /** Fire times of an interval schedule are `startAt + n × everyMs` (n ≥ 0): never counted from "now", so they never drift. */
  readonly startAt: number;
}

/** Parsed cron patterns by pattern and zone: parsing is far costlier than stepping. */
const parsed = new Map<string, Cron>();

function cronOf(pattern: string, tz: string | undefined): Cron {
  const cacheKey = `${tz ?? ""}\u0000${pattern}`;
  let cron = parsed.get(cacheKey);
  if (cron === undefined) {
    // paused: croner must never run its own timers; each backend arms its own (engine clock, schedule runner).
    cron = new Cron(pattern, { timezone: tz ?? "UTC", paused: true });
    if (parsed.size > 1_000) parsed.clear();
    parsed.set(cacheKey, cron);
  }
  return cron;
}

/** The first fire time strictly after `after` (epoch ms), or `undefined` when the pattern has no more. */
export function nextFireAfter(timing: ScheduleTiming, after: number): number | undefined {
  if (after < timing.startAt) after = timing.startAt - 1;
  if (timing.everyMs !== undefined) {
    if (after < timing.startAt) return timing.startAt;
    return timing.startAt + (Math.floor((after - timing.startAt) / timing.everyMs) + 1) * timing.everyMs;
  }
  const next = cronOf(timing.cron!, timing.tz).nextRun(new Date(after));
  return next === null ? undefined : next.getTime();
}

/** Throws croner's own error when the pattern or zone is invalid (`buildSchedule` wraps it in `InvalidArgumentError`). */
export function checkCron(pattern: string, tz: string | undefined, from: number): void {
  cronOf(pattern, tz).nextRun(new Date(from));
}
