// Copied from @mq/host (engine/queue-settings.ts): the same schema for runtime queue settings.
import { InvalidOptionsError, type OptionIssue, type QueueSettings, type QueueStats, type RateLimit } from "@mq/core";
import * as v from "valibot";

const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const durationMs = v.pipe(v.number(), v.finite(), v.minValue(0));
const rateLimit = v.nullable(v.strictObject({ max: positiveInt, perMs: v.pipe(v.number(), v.finite(), v.minValue(1), v.maxValue(2 ** 31 - 1)) }));

/** Schema of per-queue settings (every field optional). */
export const queueSettingsSchema = v.strictObject({
  maxAttempts: v.optional(positiveInt),
  capacity: v.optional(positiveInt),
  maxBytes: v.optional(positiveInt),
  maxPayloadBytes: v.optional(positiveInt),
  dedupMode: v.optional(v.picklist(["replace", "drop"])),
  dedupWindowMs: v.optional(durationMs),
  onExpire: v.optional(v.picklist(["drop", "dead-letter"])),
  defaultLeaseMs: v.optional(v.pipe(v.number(), v.finite(), v.minValue(1), v.maxValue(2 ** 31 - 1))),
  maxInFlight: v.optional(v.nullable(positiveInt)),
  rateLimit: v.optional(rateLimit),
  groupRateLimit: v.optional(rateLimit),
  groupOnFailure: v.optional(v.picklist(["block", "skip"])),
  keepCompleted: v.optional(v.strictObject({ count: v.optional(positiveInt), ageMs: v.optional(v.pipe(v.number(), v.finite(), v.minValue(1))) })),
});

/** Turns valibot issues into `InvalidOptionsError` issues with dotted paths. */
export function toOptionIssues(issues: readonly v.BaseIssue<unknown>[], prefix = ""): OptionIssue[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((p) => String(p.key)).join(".");
    return { path: [prefix, path].filter(Boolean).join("."), message: issue.message };
  });
}

/** Validates `configureQueue` settings; throws `InvalidOptionsError` listing every problem. */
export function validateQueueSettings(settings: unknown, path: string): QueueSettings {
  const result = v.safeParse(queueSettingsSchema, settings);
  if (!result.success) throw new InvalidOptionsError("configureQueue", toOptionIssues(result.issues, path));
  return result.output as QueueSettings;
}

/** A limit as the settings hash keeps it: `"max/perMs"` (the Lua reads it back). */
export function encodeLimit(limit: RateLimit): string {
  return `${limit.max}/${limit.perMs}`;
}

function decodeLimit(text: string | undefined): RateLimit | null {
  const m = text === undefined ? null : /^([\d.]+)\/([\d.]+)$/.exec(text);
  return m === null ? null : { max: Number(m[1]), perMs: Number(m[2]) };
}

/** Resolved settings from the stats script's flat list (built-in defaults already applied in Lua). */
export function decodeSettings(flat: readonly string[]): NonNullable<QueueStats["settings"]> {
  const raw = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) raw.set(flat[i]!, flat[i + 1]!);
  const n = (key: string): number => Number(raw.get(key));
  const kcCount = raw.get("kcCount");
  const kcAge = raw.get("kcAge");
  return {
    maxAttempts: n("maxAttempts"),
    capacity: n("capacity"),
    maxBytes: n("maxBytes"),
    maxPayloadBytes: n("maxPayloadBytes"),
    dedupMode: raw.get("dedupMode") as "replace" | "drop",
    dedupWindowMs: n("dedupWindowMs"),
    onExpire: raw.get("onExpire") as "drop" | "dead-letter",
    defaultLeaseMs: n("defaultLeaseMs"),
    maxInFlight: raw.has("maxInFlight") ? n("maxInFlight") : null,
    rateLimit: decodeLimit(raw.get("rateLimit")),
    groupRateLimit: decodeLimit(raw.get("groupRateLimit")),
    groupOnFailure: (raw.get("groupOnFailure") as "block" | "skip" | undefined) ?? "block",
    ...(kcCount !== undefined ? { keepCompleted: { count: Number(kcCount), ...(kcAge !== undefined ? { ageMs: Number(kcAge) } : {}) } } : {}),
  };
}
