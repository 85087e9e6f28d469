import { InvalidArgumentError, type GroupFailureMode, type QueueSettings, type QueueStats, type RateLimit } from "@mq/core";

/** A queue's limits as admin shows and sets them; `null` means "no limit". */
export interface QueueLimits {
  /** Token bucket on the queue's starts. */
  readonly rateLimit: RateLimit | null;
  /** Token bucket on each ordering group's starts. */
  readonly groupRateLimit: RateLimit | null;
  /** Most messages of the queue in flight across every consumer. */
  readonly maxInFlight: number | null;
  /** What a failed attempt does to its ordering group. */
  readonly groupOnFailure: GroupFailureMode;
}

/** A change to a queue's limits: only the fields given change; `null` removes a limit. */
export type LimitsUpdate = Partial<QueueLimits>;

const KEYS: ReadonlySet<string> = new Set(["rateLimit", "groupRateLimit", "maxInFlight", "groupOnFailure"]);

/** The limits a queue runs with, read from its resolved settings (absent ones are off). */
export function limitsOf(stats: QueueStats): QueueLimits {
  const s = stats.settings;
  return { rateLimit: s?.rateLimit ?? null, groupRateLimit: s?.groupRateLimit ?? null, maxInFlight: s?.maxInFlight ?? null, groupOnFailure: s?.groupOnFailure ?? "block" };
}

/** Checks an update and turns it into queue settings; throws `InvalidArgumentError` naming the bad field. */
export function toSettings(update: LimitsUpdate): QueueSettings {
  if (typeof update !== "object" || update === null) throw new InvalidArgumentError("admin", "limits", "must be an object with rateLimit, groupRateLimit, maxInFlight or groupOnFailure");
  for (const key of Object.keys(update)) if (!KEYS.has(key)) throw new InvalidArgumentError("admin", `limits.${key}`, `is not a limit; known: ${[...KEYS].join(", ")}`);
  const out: { -readonly [K in keyof QueueSettings]: QueueSettings[K] } = {};
  if (update.rateLimit !== undefined) out.rateLimit = rateLimit("rateLimit", update.rateLimit);
  if (update.groupRateLimit !== undefined) out.groupRateLimit = rateLimit("groupRateLimit", update.groupRateLimit);
  if (update.maxInFlight !== undefined) {
    const n = update.maxInFlight;
    if (n !== null && (!Number.isInteger(n) || n < 1)) throw new InvalidArgumentError("admin", "maxInFlight", "must be an integer >= 1, or null for no cap");
    out.maxInFlight = n;
  }
  if (update.groupOnFailure !== undefined) {
    if (update.groupOnFailure !== "block" && update.groupOnFailure !== "skip") throw new InvalidArgumentError("admin", "groupOnFailure", 'must be "block" or "skip"');
    out.groupOnFailure = update.groupOnFailure;
  }
  return out;
}

function rateLimit(field: string, value: RateLimit | null): RateLimit | null {
  if (value === null) return null;
  const ok = typeof value === "object" && Number.isInteger(value.max) && value.max >= 1 && Number.isInteger(value.perMs) && value.perMs >= 1 && Object.keys(value).every((k) => k === "max" || k === "perMs");
  if (!ok) throw new InvalidArgumentError("admin", field, "must be { max, perMs } (integers >= 1: at most max starts per perMs ms), or null to remove it");
  return { max: value.max, perMs: value.perMs };
}
