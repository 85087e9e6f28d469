import { MAX_GROUP_LENGTH } from "@mq/core";
import * as v from "valibot";
import { invalidField } from "./http-errors";
import type { ResolvedServerOptions } from "./options";

/** Queue and topic names: SQS-like, never used as file names (V1). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/;
const HEADER_KEY = /^[A-Za-z0-9_.-]{1,128}$/;
const PRINTABLE = /^[\x20-\x7e]{1,128}$/;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const name = v.pipe(v.string(), v.regex(NAME_PATTERN, "must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"));
const printable = v.pipe(v.string(), v.regex(PRINTABLE, "must be 1-128 printable ASCII characters"));
const headers = v.pipe(
  v.record(
    v.pipe(v.string(), v.regex(HEADER_KEY, "header names must match ^[A-Za-z0-9_.-]{1,128}$"), v.check((k) => !FORBIDDEN_KEYS.has(k), "reserved name")),
    v.pipe(v.string(), v.maxLength(1024), v.regex(/^[^\r\n\0]*$/, "CR, LF and NUL are not allowed in header values")),
  ),
  v.check((h) => Object.keys(h).length <= 32, "at most 32 headers"),
);

/** Message ids in paths: what the host issues is shorter; this only keeps junk out. */
export const MESSAGE_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Schedule names in paths. */
export const SCHEDULE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const messageId = v.pipe(v.string(), v.regex(MESSAGE_ID_PATTERN, "must match ^[A-Za-z0-9_.:-]{1,128}$"));
const scheduleName = v.pipe(v.string(), v.regex(SCHEDULE_NAME_PATTERN, "must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"));

/** Ordering groups: any text of bounded length, but no control characters (they end up in logs and the dashboard). */
const GROUP_PATTERN = new RegExp(`^[^\\x00-\\x1f\\x7f]{1,${MAX_GROUP_LENGTH}}$`);
/** A token bucket: `max` starts per `perMs`. */
const rateLimit = v.strictObject({ max: int(1, Number.MAX_SAFE_INTEGER), perMs: int(1, 2 ** 31 - 1) });

/** A message's own retry delay: ms, or `{ type, baseMs, maxMs?, jitter? }`. */
function backoff(maxMs: number) {
  return v.union(
    [int(0, maxMs), v.strictObject({ type: v.picklist(["fixed", "exponential"]), baseMs: int(0, maxMs), maxMs: v.optional(int(0, maxMs)), jitter: v.optional(v.boolean()) })],
    "backoff is ms, or { type: \"fixed\" | \"exponential\", baseMs, maxMs?, jitter? }",
  );
}

/** Schemas built once per server from its limits. */
export function createSchemas(o: ResolvedServerOptions) {
  const messageFields = {
    payload: v.unknown(),
    key: v.optional(printable),
    expectedVersion: v.optional(int(0, Number.MAX_SAFE_INTEGER)),
    priority: v.optional(int(0, 9)),
    delayMs: v.optional(int(0, o.maxDelayMs)),
    availableAt: v.optional(int(0, Number.MAX_SAFE_INTEGER)),
    ttlMs: v.optional(int(1, Number.MAX_SAFE_INTEGER)),
    expiresAt: v.optional(int(0, Number.MAX_SAFE_INTEGER)),
    correlationId: v.optional(printable),
    causationId: v.optional(printable),
    headers: v.optional(headers),
    maxAttempts: v.optional(int(1, 1_000_000)),
    backoff: v.optional(backoff(o.maxDelayMs)),
    group: v.optional(v.pipe(v.string(), v.regex(GROUP_PATTERN, `must be 1-${MAX_GROUP_LENGTH} characters without control characters`))),
  };
  const message = v.strictObject(messageFields);
  // A schedule fires its payload with these options (the host checks the combination again).
  const { payload: _payload, ...scheduleOptions } = messageFields;
  // Limits (issue 16) are queue settings; `/limits` takes only these.
  const limitFields = {
    rateLimit: v.optional(v.nullable(rateLimit)),
    groupRateLimit: v.optional(v.nullable(rateLimit)),
    maxInFlight: v.optional(v.nullable(int(1, Number.MAX_SAFE_INTEGER))),
    groupOnFailure: v.optional(v.picklist(["block", "skip"])),
  };
  // An item of a mixed batch names its queue or its topic.
  const item = v.union(
    [v.strictObject({ ...messageFields, queue: name }), v.strictObject({ ...messageFields, topic: name })],
    "each item needs exactly one of `queue` or `topic`, and only known fields",
  );
  const batchOf = <T extends v.GenericSchema>(schema: T) => v.pipe(v.array(schema), v.minLength(1, "at least one message"), v.maxLength(o.maxBatch, `at most ${o.maxBatch} messages per request`));
  const receipt = v.pipe(v.string(), v.minLength(1), v.maxLength(512));
  const errorInfo = v.strictObject({ name: v.pipe(v.string(), v.maxLength(256)), message: v.pipe(v.string(), v.maxLength(4096)), stack: v.optional(v.pipe(v.string(), v.maxLength(16_384))), code: v.optional(v.pipe(v.string(), v.maxLength(64))) });
  return {
    name,
    // One message or a batch, told apart by a `messages` key (parseSend), so a bad field is named by its path (V2).
    sendOne: message,
    sendBatch: v.strictObject({ messages: batchOf(message), waitIfFull: v.optional(v.boolean()) }),
    enqueue: v.strictObject({ items: batchOf(item), waitIfFull: v.optional(v.boolean()) }),
    receive: v.strictObject({ max: v.optional(int(1, o.maxReceive)), visibilityTimeoutMs: v.optional(int(1, o.maxLeaseMs)), waitMs: v.optional(int(0, o.maxWaitMs)) }),
    ack: v.pipe(
      v.strictObject({ receipts: v.pipe(v.array(receipt), v.maxLength(o.maxBatch)), publish: v.optional(v.pipe(v.array(item), v.maxLength(o.maxBatch))), results: v.optional(v.array(v.unknown())) }),
      v.check((b) => b.results === undefined || b.results.length === b.receipts.length, "results needs one value per receipt, in the same order"),
    ),
    progress: v.strictObject({ receipt, value: v.unknown() }),
    messageId,
    scheduleName,
    schedule: v.strictObject({
      cron: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256))),
      everyMs: v.optional(int(1, Number.MAX_SAFE_INTEGER)),
      tz: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_+/-]{1,64}$/, "must be an IANA time zone such as Europe/Berlin"))),
      queue: name,
      payload: v.unknown(),
      options: v.optional(v.strictObject(scheduleOptions)),
      catchUp: v.optional(v.picklist(["all", "latest", "none"])),
      startAt: v.optional(int(0, Number.MAX_SAFE_INTEGER)),
    }),
    resultQuery: v.strictObject({ waitMs: v.optional(int(0, o.maxWaitMs)) }),
    peekQuery: v.strictObject({ limit: v.optional(int(1, o.maxReceive)) }),
    throttle: v.strictObject({ receipt, ms: int(1, o.maxLeaseMs) }),
    nack: v.strictObject({ receipt, delayMs: v.optional(int(0, o.maxDelayMs)), reason: v.optional(errorInfo), maxAttempts: v.optional(int(1, Number.MAX_SAFE_INTEGER)), deadLetter: v.optional(v.boolean()) }),
    extend: v.strictObject({ receipt, visibilityTimeoutMs: int(1, o.maxLeaseMs) }),
    release: v.strictObject({ receipts: v.pipe(v.array(receipt), v.maxLength(o.maxBatch)) }),
    settings: v.strictObject({
      maxAttempts: v.optional(int(1, Number.MAX_SAFE_INTEGER)),
      capacity: v.optional(int(1, Number.MAX_SAFE_INTEGER)),
      maxBytes: v.optional(int(1, Number.MAX_SAFE_INTEGER)),
      maxPayloadBytes: v.optional(int(1, Number.MAX_SAFE_INTEGER)),
      dedupMode: v.optional(v.picklist(["replace", "drop"])),
      dedupWindowMs: v.optional(int(0, Number.MAX_SAFE_INTEGER)),
      onExpire: v.optional(v.picklist(["drop", "dead-letter"])),
      defaultLeaseMs: v.optional(int(1, o.maxLeaseMs)),
      keepCompleted: v.optional(v.strictObject({ count: v.optional(int(1, 10_000_000)), ageMs: v.optional(int(1, Number.MAX_SAFE_INTEGER)) })),
      ...limitFields,
    }),
    limits: v.strictObject(limitFields),
    dlqList: v.strictObject({ queue: v.optional(name), reason: v.optional(printable), limit: v.optional(int(1, 1_000)), cursor: v.optional(v.pipe(v.string(), v.maxLength(512))) }),
    dlqFilter: v.strictObject({ queue: v.optional(name), reason: v.optional(printable) }),
    dlqReplay: v.strictObject({ id: v.optional(printable), queue: v.optional(name), reason: v.optional(printable), toQueue: v.optional(name) }),
  };
}

/** Parsed output: absent optional fields are absent, never `undefined` (valibot adds no keys). */
export type Defined<T> = { [K in keyof T]: Exclude<T[K], undefined> };

/** The schemas of one server. */
export type Schemas = ReturnType<typeof createSchemas>;

/** Parses `input` or throws a 422 naming the first bad field and every other problem. */
export function parse<T extends v.GenericSchema>(schema: T, input: unknown, where = "body"): Defined<v.InferOutput<T>> {
  const result = v.safeParse(schema, input, { abortPipeEarly: true });
  if (result.success) return result.output as Defined<v.InferOutput<T>>;
  const at = (i: v.BaseIssue<unknown>): string => [where, ...(i.path ?? []).map((p) => String(p.key))].join(".");
  const [first, ...more] = result.issues;
  const problems = [first.message, ...more.slice(0, 4).map((i) => `${at(i)}: ${i.message}`)];
  throw invalidField(at(first), problems.join("; "));
}

/**
 * Parses a send body: a batch when it has a `messages` key, else one message. Choosing the
 * shape first (rather than a union) keeps the 422 naming the bad field, e.g. `body.priority`.
 */
export function parseSend(schemas: Schemas, input: unknown): Defined<v.InferOutput<Schemas["sendOne"]>> | Defined<v.InferOutput<Schemas["sendBatch"]>> {
  const batch = typeof input === "object" && input !== null && !Array.isArray(input) && Object.hasOwn(input, "messages");
  return batch ? parse(schemas.sendBatch, input) : parse(schemas.sendOne, input);
}

/** Validates a path segment with `pattern`, or throws a 422 naming it. */
export function parseSegment(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw invalidField(what, `must match ${pattern.source}`);
  return value;
}

/** Validates a path segment naming a queue or topic. */
export function parseName(value: string, what = "queue"): string {
  if (!NAME_PATTERN.test(value)) throw invalidField(what, "must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$");
  return value;
}
