import { InvalidOptionsError, type OptionIssue, type QueueSettings } from "@mq/core";
import * as v from "valibot";

const positiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const durationMs = v.pipe(v.number(), v.finite(), v.minValue(0));

/** `{ max, perMs }`: a token bucket; null removes the limit. */
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
  keepCompleted: v.optional(v.strictObject({ count: v.optional(positiveInt), ageMs: v.optional(v.pipe(v.number(), v.finite(), v.minValue(1))) })),
  rateLimit: v.optional(rateLimit),
  groupRateLimit: v.optional(rateLimit),
  maxInFlight: v.optional(v.nullable(positiveInt)),
  groupOnFailure: v.optional(v.picklist(["block", "skip"])),
});

/** Turns valibot issues into `InvalidOptionsError` issues with dotted paths. */
export function toOptionIssues(issues: readonly v.BaseIssue<unknown>[], prefix = ""): OptionIssue[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((p) => String(p.key)).join(".");
    return { path: [prefix, path].filter(Boolean).join("."), message: issue.message };
  });
}

/** Validates settings given at runtime; throws `InvalidOptionsError` listing every problem. */
export function validateQueueSettings(settings: unknown, path: string, operation = "host"): QueueSettings {
  const result = v.safeParse(queueSettingsSchema, settings);
  if (!result.success) throw new InvalidOptionsError(operation, toOptionIssues(result.issues, path));
  return result.output as QueueSettings;
}
