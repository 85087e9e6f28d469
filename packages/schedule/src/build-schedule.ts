import { assertKnownKeys, assertName, assertScheduleName, assertValidPayload, InvalidArgumentError, type EnqueueItem, type ScheduleSpec } from "@mq/core";
import type { ScheduleRecord } from "./schedule-record";
import { checkCron, nextFireAfter } from "./schedule-times";

/** The backend's own enqueue rules, which `spec.options` must pass. */
export interface ScheduleOptionChecks {
  /** Enqueue option names the backend accepts in `spec.options` (any other is rejected, naming the closest). */
  readonly optionKeys: ReadonlySet<string>;
  /** The backend's enqueue validation; called with `{ ...spec.options, queue: spec.queue, payload: null }`. */
  readonly validateItem: (item: EnqueueItem) => void;
}

const SPEC_KEYS: ReadonlySet<string> = new Set(["cron", "everyMs", "tz", "queue", "payload", "options", "catchUp", "startAt"]);

/**
 * Validates a spec and builds its record, first fire computed from the
 * schedule (never before `now`). Throws `InvalidArgumentError` naming the
 * bad field, with `schedule` as the operation.
 */
export function buildSchedule(name: string, spec: ScheduleSpec, id: string, now: number, checks: ScheduleOptionChecks): ScheduleRecord {
  assertScheduleName("schedule", name);
  if (typeof spec !== "object" || spec === null) throw new InvalidArgumentError("schedule", "spec", "must be an object with cron or everyMs, queue and payload");
  assertKnownKeys("schedule", "spec", spec, SPEC_KEYS);
  assertName("schedule", "queue", spec.queue);
  if ((spec.cron === undefined) === (spec.everyMs === undefined)) throw new InvalidArgumentError("schedule", "spec", "give exactly one of cron or everyMs");
  if (spec.everyMs !== undefined && (!Number.isInteger(spec.everyMs) || spec.everyMs < 1)) throw new InvalidArgumentError("schedule", "everyMs", "must be a positive integer of milliseconds");
  if (spec.tz !== undefined && (typeof spec.tz !== "string" || spec.cron === undefined)) throw new InvalidArgumentError("schedule", "tz", "is an IANA zone name (e.g. \"Europe/Berlin\") and goes with cron");
  if (spec.catchUp !== undefined && !["all", "latest", "none"].includes(spec.catchUp)) throw new InvalidArgumentError("schedule", "catchUp", 'must be "all", "latest" or "none"');
  if (spec.startAt !== undefined && (!Number.isFinite(spec.startAt) || spec.startAt < 0)) throw new InvalidArgumentError("schedule", "startAt", "must be an epoch ms");
  assertValidPayload(spec.payload);
  if (spec.options !== undefined) {
    if (typeof spec.options !== "object" || spec.options === null) throw new InvalidArgumentError("schedule", "options", "must be enqueue options");
    assertKnownKeys("schedule", "options", spec.options, checks.optionKeys);
    checks.validateItem({ ...spec.options, queue: spec.queue, payload: null });
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
  return {
    id,
    name,
    ...timing,
    queue: spec.queue,
    payload: spec.payload,
    ...(spec.options === undefined ? {} : { options: { ...spec.options } }),
    catchUp: spec.catchUp ?? "latest",
    nextFireAt,
  };
}
