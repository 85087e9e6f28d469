import { MAX_GROUP_LENGTH } from "@mq/core";
import type { ResolvedServerOptions } from "./options";
import { MESSAGE_ID_PATTERN, SCHEDULE_NAME_PATTERN } from "./validation";

type Op = { summary: string; scope: string; body?: string; ok: string };

/** Every route, in one table: the OpenAPI document and the README's routes table come from here. */
export const ROUTES: Readonly<Record<string, Readonly<Record<string, Op>>>> = {
  "/v1/queues/{queue}/messages": { post: { summary: "Send one message `{ payload, key?, priority?, delayMs?, ttlMs?, headers?, ... }` or a batch `{ messages: [...] }` (atomic)", scope: "produce", body: "SendRequest", ok: "201" } },
  "/v1/messages": { post: { summary: "Atomic batch over many queues and topics `{ items: [{ queue | topic, payload, ... }] }`", scope: "produce", body: "EnqueueRequest", ok: "201" } },
  "/v1/topics/{topic}/messages": { post: { summary: "Publish to every queue bound to the topic (atomic fan-out)", scope: "produce (topic)", body: "SendRequest", ok: "201" } },
  "/v1/queues/{queue}/receive": { post: { summary: "Lease up to `max` messages for `visibilityTimeoutMs`, long-polling up to `waitMs`", scope: "consume", body: "ReceiveRequest", ok: "200" } },
  "/v1/ack": { post: { summary: "Acknowledge receipts; `publish` items commit atomically with the ack; `results` (one per receipt) are kept on queues with `keepCompleted`", scope: "consume (+ produce for publish)", body: "AckRequest", ok: "204" } },
  "/v1/progress": { post: { summary: "Report a running delivery's progress `{ receipt, value }`; kept on the message while it runs (visible in the message lookup)", scope: "consume", body: "ProgressRequest", ok: "204" } },
  "/v1/queues/{queue}/messages/{id}": {
    get: { summary: "Look a message up by id: state (ready, delayed, in-flight, completed, dead-lettered, unknown), attempts, timestamps, last error, progress, result", scope: "produce or consume", ok: "200" },
    delete: { summary: "Cancel a ready or delayed message; 409 `MQ_IN_FLIGHT` while a consumer holds it, 404 when there is no such pending message", scope: "produce", ok: "204" },
  },
  "/v1/results/{id}": { get: { summary: "A kept completion `{ id, queue, result, completedAt }` (queues with `keepCompleted`); `?waitMs=` waits for it (404 when none in time)", scope: "produce or consume (of its queue)", ok: "200" } },
  "/v1/schedules": { get: { summary: "Schedules that fire into queues this token administers", scope: "admin (per queue)", ok: "200" } },
  "/v1/schedules/{name}": {
    get: { summary: "One schedule", scope: "admin", ok: "200" },
    put: { summary: "Create or replace a durable schedule `{ cron | everyMs, tz?, queue, payload, options?, catchUp?, startAt? }`", scope: "admin", body: "ScheduleSpec", ok: "200" },
    delete: { summary: "Remove a schedule (404 when there is none)", scope: "admin", ok: "204" },
  },
  "/v1/nack": { post: { summary: "Fail an attempt: retry after `delayMs`, or dead-letter", scope: "consume", body: "NackRequest", ok: "200" } },
  "/v1/extend": { post: { summary: "Change visibility: the lease ends `visibilityTimeoutMs` from now", scope: "consume", body: "ExtendRequest", ok: "204" } },
  "/v1/throttle": { post: { summary: "Back off without failing `{ receipt, ms }`: the message is ready again with its attempt unused, and its ordering group (or the whole queue when it has none) starts nothing for `ms`", scope: "consume", body: "ThrottleRequest", ok: "204" } },
  "/v1/capabilities": { get: { summary: "Optional backend features of this server `{ contractVersion, capabilities: { groups?, rateLimits?, maxInFlight?, throttle? } }`", scope: "any", ok: "200" } },
  "/v1/release": { post: { summary: "Hand back unstarted deliveries: ready at once, attempt not used", scope: "consume", body: "ReleaseRequest", ok: "204" } },
  "/v1/queues": { get: { summary: "Names of the queues this token can see", scope: "any", ok: "200" } },
  "/v1/stats": { get: { summary: "Stats summed over every queue", scope: "admin", ok: "200" } },
  "/v1/queues/{queue}/stats": { get: { summary: "One queue's stats", scope: "produce or consume", ok: "200" } },
  "/v1/queues/{queue}/peek": { get: { summary: "Up to `?limit=` (default 10, ≤ maxReceive) ready messages in delivery order, without leasing them or counting an attempt", scope: "consume", ok: "200" } },
  "/v1/topics/{topic}/bindings": { get: { summary: "Queues bound to the topic (those this token can see)", scope: "any", ok: "200" } },
  "/v1/queues/{queue}/settings": { put: { summary: "Change a queue's settings (maxAttempts, capacity, dedupMode, ...)", scope: "admin", body: "QueueSettings", ok: "204" } },
  "/v1/queues/{queue}/limits": {
    get: { summary: "The queue's limits `{ rateLimit, groupRateLimit, maxInFlight, groupOnFailure }` (`null`: no limit)", scope: "produce or consume", ok: "200" },
    put: { summary: "Change limits at runtime (only the fields given; `null` removes one); answers the limits now in force", scope: "admin", body: "QueueLimits", ok: "200" },
  },
  "/v1/queues/{queue}/purge": { post: { summary: "Delete every ready and delayed message (`?confirm=true`); in-flight ones finish", scope: "admin", ok: "200" } },
  "/v1/topics/{topic}/bindings/{queue}": {
    put: { summary: "Bind a topic to a queue", scope: "admin", ok: "204" },
    delete: { summary: "Unbind a topic from a queue", scope: "admin", ok: "204" },
  },
  "/v1/dead-letters": { get: { summary: "Page dead letters `?queue=&reason=&limit=&cursor=`", scope: "consume (admin without queue)", ok: "200" } },
  "/v1/dead-letters/count": { get: { summary: "Count dead letters `?queue=&reason=`", scope: "consume (admin without queue)", ok: "200" } },
  "/v1/dead-letters/{id}": { get: { summary: "One dead letter by message id", scope: "consume", ok: "200" } },
  "/v1/dead-letters/replay": { post: { summary: "Re-enqueue dead letters `{ id }` or `{ queue?, reason?, toQueue? }`", scope: "admin", body: "ReplayRequest", ok: "200" } },
  "/v1/dead-letters/purge": { post: { summary: "Delete dead letters `{ queue?, reason? }` (`?confirm=true`)", scope: "admin", body: "DeadLetterFilter", ok: "200" } },
  "/v1/ws": { get: { summary: "WebSocket (subprotocol `mq.v1`): subscribe with credits, ack/nack/extend/release, ready notifications", scope: "consume", ok: "101" } },
  "/healthz": { get: { summary: "Liveness; no token needed", scope: "none", ok: "200" } },
  "/readyz": { get: { summary: "Readiness `{ ok, status }`: 503 while the host is not open, after its journal failed (fail-stop), or while the server closes; no token needed", scope: "none", ok: "200" } },
  "/openapi.json": { get: { summary: "This document", scope: "none", ok: "200" } },
};

const PARAM_PATTERNS: Readonly<Record<string, string>> = { id: MESSAGE_ID_PATTERN.source, name: SCHEDULE_NAME_PATTERN.source };

/** The OpenAPI 3.1 document served at `/openapi.json`. */
export function openApiDocument(o: ResolvedServerOptions): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, ops] of Object.entries(ROUTES)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(ops)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string", pattern: PARAM_PATTERNS[m[1]!] ?? "^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$" } }));
      paths[path][method] = {
        summary: op.summary,
        description: `Token scope: ${op.scope}.`,
        ...(params.length > 0 ? { parameters: params } : {}),
        ...(op.body === undefined ? {} : { requestBody: { required: true, content: { "application/json": { schema: { $ref: `#/components/schemas/${op.body}` } }, "application/msgpack": { schema: { $ref: `#/components/schemas/${op.body}` } } } } }),
        responses: { [op.ok]: { description: "success" }, default: { description: "error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } } },
        ...(op.scope === "none" ? { security: [] } : {}),
      };
    }
  }
  const int = (min: number, max?: number) => ({ type: "integer", minimum: min, ...(max === undefined ? {} : { maximum: max }) });
  const message = {
    type: "object",
    additionalProperties: false,
    required: ["payload"],
    properties: {
      payload: {},
      key: { type: "string", maxLength: 128 },
      expectedVersion: int(0),
      priority: int(0, 9),
      delayMs: int(0, o.maxDelayMs),
      availableAt: int(0),
      ttlMs: int(1),
      expiresAt: int(0),
      correlationId: { type: "string", maxLength: 128 },
      causationId: { type: "string", maxLength: 128 },
      headers: { type: "object", maxProperties: 32, additionalProperties: { type: "string", maxLength: 1024 } },
      maxAttempts: int(1, 1_000_000),
      group: { type: "string", minLength: 1, maxLength: MAX_GROUP_LENGTH, description: "ordering group: delivered in enqueue order, one in flight at a time" },
      backoff: { oneOf: [int(0, o.maxDelayMs), { type: "object", required: ["type", "baseMs"], properties: { type: { enum: ["fixed", "exponential"] }, baseMs: int(0, o.maxDelayMs), maxMs: int(0, o.maxDelayMs), jitter: { type: "boolean" } } }] },
    },
  };
  const { payload: _payload, ...optionProperties } = message.properties;
  const rateLimitSchema = { oneOf: [{ type: "object", required: ["max", "perMs"], additionalProperties: false, properties: { max: int(1), perMs: int(1) } }, { type: "null" }], description: "token bucket on starts: `max` per `perMs`; null removes it" };
  return {
    openapi: "3.1.0",
    info: { title: "@mq/server", version: "1", description: "SQS-like HTTP API of @mq. JSON by default; send and accept application/msgpack for binary payloads." },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Message: message,
        SendRequest: { oneOf: [{ $ref: "#/components/schemas/Message" }, { type: "object", required: ["messages"], properties: { messages: { type: "array", minItems: 1, maxItems: o.maxBatch, items: { $ref: "#/components/schemas/Message" } }, waitIfFull: { type: "boolean" } } }] },
        EnqueueRequest: { type: "object", required: ["items"], properties: { items: { type: "array", maxItems: o.maxBatch } } },
        ReceiveRequest: { type: "object", properties: { max: int(1, o.maxReceive), visibilityTimeoutMs: int(1, o.maxLeaseMs), waitMs: int(0, o.maxWaitMs) } },
        AckRequest: { type: "object", required: ["receipts"], properties: { receipts: { type: "array", items: { type: "string" } }, publish: { type: "array" }, results: { type: "array", description: "one value per receipt, same order" } } },
        QueueLimits: { type: "object", additionalProperties: false, properties: { rateLimit: rateLimitSchema, groupRateLimit: rateLimitSchema, maxInFlight: { oneOf: [int(1), { type: "null" }] }, groupOnFailure: { enum: ["block", "skip"] } } },
        ThrottleRequest: { type: "object", required: ["receipt", "ms"], additionalProperties: false, properties: { receipt: { type: "string" }, ms: int(1, o.maxLeaseMs) } },
        ProgressRequest: { type: "object", required: ["receipt", "value"], additionalProperties: false, properties: { receipt: { type: "string" }, value: {} } },
        ScheduleSpec: {
          type: "object",
          required: ["queue", "payload"],
          additionalProperties: false,
          description: "Give exactly one of `cron` (5 or 6 fields, croner syntax, in `tz`, default UTC) or `everyMs`.",
          properties: {
            cron: { type: "string", maxLength: 256 },
            everyMs: int(1),
            tz: { type: "string", maxLength: 64 },
            queue: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$" },
            payload: {},
            options: { type: "object", additionalProperties: false, properties: optionProperties },
            catchUp: { enum: ["all", "latest", "none"] },
            startAt: int(0),
          },
        },
        NackRequest: { type: "object", required: ["receipt"], properties: { receipt: { type: "string" }, delayMs: int(0, o.maxDelayMs), maxAttempts: int(1), deadLetter: { type: "boolean" } } },
        ExtendRequest: { type: "object", required: ["receipt", "visibilityTimeoutMs"], properties: { receipt: { type: "string" }, visibilityTimeoutMs: int(1, o.maxLeaseMs) } },
        ReleaseRequest: { type: "object", required: ["receipts"], properties: { receipts: { type: "array", items: { type: "string" } } } },
        QueueSettings: {
          type: "object",
          additionalProperties: false,
          properties: {
            maxAttempts: int(1),
            capacity: int(1),
            maxBytes: int(1),
            maxPayloadBytes: int(1),
            dedupMode: { enum: ["replace", "drop"] },
            dedupWindowMs: int(0),
            onExpire: { enum: ["drop", "dead-letter"] },
            defaultLeaseMs: int(1, o.maxLeaseMs),
            rateLimit: rateLimitSchema,
            groupRateLimit: rateLimitSchema,
            maxInFlight: { oneOf: [int(1), { type: "null" }] },
            groupOnFailure: { enum: ["block", "skip"] },
            keepCompleted: { type: "object", additionalProperties: false, description: "keep completions (with the handlers' results) for lookup", properties: { count: int(1, 10_000_000), ageMs: int(1) } },
          },
        },
        ReplayRequest: { type: "object", properties: { id: { type: "string" }, queue: { type: "string" }, reason: { type: "string" }, toQueue: { type: "string" } } },
        DeadLetterFilter: { type: "object", properties: { queue: { type: "string" }, reason: { type: "string" } } },
        Error: { type: "object", required: ["error"], properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" }, reason: { type: "string" }, retryAfterMs: { type: "integer" }, fields: { type: "object" } } } } },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
