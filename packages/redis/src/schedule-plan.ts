// Adapted from @mq/host (engine/schedules.ts): the same validation and fire plan, so a
// schedule behaves alike on both backends.
import { assertValidPayload, InvalidArgumentError, type EnqueueItem, type EnqueueOptions, type ScheduleCatchUp, type ScheduleInfo, type ScheduleSpec } from "@mq/core";
import { validateItem } from "./enqueue-args";
import { checkCron, nextFireAfter } from "./schedule-times";
import { assertName } from "./validate";

/** A fire this late is "missed" for `catchUp: "none"` (timers are never exactly on time). */
export const MISSED_AFTER_MS = 60_000;
/** Most missed fires `catchUp: "all"` enqueues at once (the most recent ones). */
export const MAX_CATCH_UP = 1_000;

/** A stored schedule definition. `id` tells one definition of a name from a later one (fire marks are per id). */
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
}

const SPEC_KEYS: ReadonlySet<string> = new Set(["cron", "everyMs", "tz", "queue", "payload", "options", "catchUp", "startAt"]);
const OPTION_KEYS: ReadonlySet<string> = new Set([
  "key", "expectedVersion", "priority", "delayMs", "availableAt", "ttlMs", "expiresAt", "correlationId", "causationId", "headers", "maxAttempts", "backoff",
]);

/** Validates a spec and builds its record and first fire time (never before `now`). */
export function buildSchedule(name: string, spec: ScheduleSpec, id: string, now: number): { record: ScheduleRecord; nextFireAt: number } {
  if (typeof name !== "string" || name.length === 0 || name.length > 200) throw new InvalidArgumentError("schedule", "name", "must be a non-empty string of at most 200 characters");
  if (typeof spec !== "object" || spec === null) throw new InvalidArgumentError("schedule", "spec", "must be an object with cron or everyMs, queue and payload");
  assertKnownKeys("spec", spec, SPEC_KEYS);
  assertName("queue", spec.queue);
  if ((spec.cron === undefined) === (spec.everyMs === undefined)) throw new InvalidArgumentError("schedule", "spec", "give exactly one of cron or everyMs");
  if (spec.everyMs !== undefined && (!Number.isInteger(spec.everyMs) || spec.everyMs < 1)) throw new InvalidArgumentError("schedule", "everyMs", "must be a positive integer of milliseconds");
  if (spec.tz !== undefined && (typeof spec.tz !== "string" || spec.cron === undefined)) throw new InvalidArgumentError("schedule", "tz", "is an IANA zone name (e.g. \"Europe/Berlin\") and goes with cron");
  if (spec.catchUp !== undefined && !["all", "latest", "none"].includes(spec.catchUp)) throw new InvalidArgumentError("schedule", "catchUp", 'must be "all", "latest" or "none"');
  if (spec.startAt !== undefined && (!Number.isFinite(spec.startAt) || spec.startAt < 0)) throw new InvalidArgumentError("schedule", "startAt", "must be an epoch ms");
  assertValidPayload(spec.payload);
  if (spec.options !== undefined) {
    if (typeof spec.options !== "object" || spec.options === null) throw new InvalidArgumentError("schedule", "options", "must be enqueue options");
    assertKnownKeys("options", spec.options, OPTION_KEYS);
    validateItem({ ...spec.options, queue: spec.queue, payload: null });
  }
  if (spec.cron !== undefined) {
    if (typeof spec.cron !== "string") throw new InvalidArgumentError("schedule", "cron", "must be a cron pattern string");
    try {
      checkCron(spec.cron, spec.tz, now);
    } catch (error) {
      throw new InvalidArgumentError("schedule", "cron", `pattern "${spec.cron}"${spec.tz === undefined ? "" : ` in zone "${spec.tz}"`} is invalid: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const startAt = spec.startAt ?? (spec.everyMs === undefined ? now : now + spec.everyMs);
  const timing = { ...(spec.cron === undefined ? {} : { cron: spec.cron }), ...(spec.everyMs === undefined ? {} : { everyMs: spec.everyMs }), ...(spec.tz === undefined ? {} : { tz: spec.tz }), startAt };
  const nextFireAt = nextFireAfter(timing, Math.max(now, startAt) - 1);
  if (nextFireAt === undefined) throw new InvalidArgumentError("schedule", "cron", `pattern "${spec.cron}" never fires after now`);
  const record: ScheduleRecord = {
    id,
    name,
    ...timing,
    queue: spec.queue,
    payload: spec.payload,
    ...(spec.options === undefined ? {} : { options: { ...spec.options } }),
    catchUp: spec.catchUp ?? "latest",
  };
  return { record, nextFireAt };
}

/** What firing a due schedule enqueues, the last due time it covers, and its next fire time (undefined: no more). */
export interface FirePlan {
  readonly items: EnqueueItem[];
  readonly last: number;
  readonly next: number | undefined;
}

/**
 * The fire times due at `now` (from the stored next fire on, stepping the
 * schedule itself, so lateness never shifts later fires), filtered by the
 * catch-up policy, as enqueue items tagged with the schedule and fire time.
 */
export function planFire(record: ScheduleRecord, nextFireAt: number, now: number): FirePlan {
  const due: number[] = [];
  let t: number | undefined = nextFireAt;
  while (t !== undefined && t <= now) {
    due.push(t);
    if (due.length > MAX_CATCH_UP) due.shift();
    t = nextFireAfter(record, t);
  }
  const last = due[due.length - 1] ?? nextFireAt;
  const fire = record.catchUp === "all" ? due : record.catchUp === "latest" ? due.slice(-1) : due.filter((at) => at === last && now - at <= MISSED_AFTER_MS);
  const items = fire.map((at): EnqueueItem => ({
    ...record.options,
    queue: record.queue,
    payload: record.payload,
    headers: { ...record.options?.headers, "mq-schedule": record.name, "mq-fire-at": String(at) },
  }));
  return { items, last, next: t };
}

/** The public view of a stored schedule. */
export function toScheduleInfo(r: ScheduleRecord, nextFireAt: number, lastFireAt: number | undefined): ScheduleInfo {
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
    nextFireAt,
    ...(lastFireAt === undefined ? {} : { lastFireAt }),
  };
}

function assertKnownKeys(argument: string, value: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new InvalidArgumentError("schedule", `${argument}.${key}`, `is not a known option (known: ${[...known].join(", ")})`);
  }
}
