/**
 * JSON Schemas of the admin routes: Fastify validates requests and
 * serializes responses with them, and @fastify/swagger turns them into the
 * OpenAPI document at /openapi.json. Shared ones are added by `$id`.
 */

const num = { type: "number" } as const;
const int = { type: "integer" } as const;
const str = { type: "string" } as const;
const open = (properties: Record<string, unknown>, required: readonly string[] = []): Record<string, unknown> => ({ type: "object", properties, required, additionalProperties: true });

const rateLimitSchema = {
  type: ["object", "null"],
  properties: { max: { type: "integer", minimum: 1 }, perMs: { type: "integer", minimum: 1, maximum: 2 ** 31 - 1 } },
  required: ["max", "perMs"],
  additionalProperties: false,
  description: "At most max starts per perMs ms (a token bucket); null removes the limit.",
} as const;
const latency = open({ count: int, meanMs: num, p50Ms: num, p95Ms: num, p99Ms: num, maxMs: num });
const totals = open({ enqueued: int, replaced: int, duplicates: int, delivered: int, acked: int, retried: int, deadLettered: int, expired: int, failed: int });

export const SHARED_SCHEMAS: readonly Record<string, unknown>[] = [
  {
    $id: "Error",
    ...open({ statusCode: int, code: str, error: str, message: str }, ["statusCode", "code", "message"]),
    description: "Every error answer: 400 bad input, 401 missing token, 404 unknown queue or dead letter, 501 not supported by this host or its backend (peek, purge), 503 host closed or failed.",
  },
  {
    $id: "QueueMetrics",
    ...open(
      {
        queue: str,
        ready: int,
        delayed: int,
        inFlight: int,
        deadLettered: int,
        bytes: int,
        capacity: int,
        totals,
        rates: open({ enqueued: num, delivered: num, acked: num, failed: num, retried: num, deadLettered: num, expired: num }),
        latency: open({ waitMs: latency, handlerMs: latency }),
        handler: open({ parallelism: int, running: int, paused: { type: "boolean" }, buffered: int }),
        groups: open({ ready: int, blocked: int, active: int, throttled: int }),
        throttled: open({ rateLimit: int, groupRateLimit: int, maxInFlight: int, backOff: int }),
      },
      ["queue", "ready", "delayed", "inFlight", "deadLettered", "totals", "rates", "latency"],
    ),
    description: "Depth now, totals since the data folder was created, per-second rates and latency percentiles over the last minute.",
  },
  { $id: "Handler", ...open({ queue: str, parallelism: int, running: int, paused: { type: "boolean" }, buffered: int, succeeded: int, failed: int }, ["queue", "parallelism", "running", "paused"]) },
  {
    $id: "Message",
    ...open({ id: str, queue: str, payload: {}, key: str, version: int, priority: int, enqueuedAt: int, availableAt: int, expiresAt: int, attempts: int, correlationId: str, causationId: str, headers: { type: "object", additionalProperties: str } }, ["id", "queue"]),
    description: "A message; binary payload parts appear as { $binary: base64 }.",
  },
  {
    $id: "DeadLetter",
    ...open({ message: { $ref: "Message#" }, queue: str, reason: str, error: open({ name: str, message: str, code: str }), attemptTimestamps: { type: "array", items: int }, deadLetteredAt: int }, ["message", "queue", "reason"]),
  },
  {
    $id: "Limits",
    ...open({ rateLimit: rateLimitSchema, groupRateLimit: rateLimitSchema, maxInFlight: { type: ["integer", "null"], minimum: 1 }, groupOnFailure: { type: "string", enum: ["block", "skip"] } }, ["rateLimit", "groupRateLimit", "maxInFlight", "groupOnFailure"]),
    description: "A queue's limits: token buckets on starts for the queue and for each ordering group, the cap on messages in flight, and what a failure does to a group. null: no limit.",
  },
  { $id: "Snapshot", ...open({ lsn: int, items: int, bytes: int, durationMs: num }, ["lsn"]) },
  { $id: "Health", ...open({ ok: { type: "boolean" }, status: str, durability: str, journal: open({}), failure: open({ code: str, message: str, at: int }), handlersRunning: { type: "boolean" }, handlers: { type: "array", items: open({}) } }, ["ok", "status"]) },
];

const errors = { 400: { $ref: "Error#" }, 401: { $ref: "Error#" }, 404: { $ref: "Error#" }, 501: { $ref: "Error#" }, 503: { $ref: "Error#" } };
const queueParam = { type: "object", properties: { queue: { type: "string", minLength: 1, maxLength: 200 } }, required: ["queue"] } as const;
const idParam = { type: "object", properties: { id: { type: "string", minLength: 1, maxLength: 200 } }, required: ["id"] } as const;
const filterBody = {
  type: "object",
  properties: { queue: { type: "string", minLength: 1, maxLength: 200 }, reason: { type: "string", minLength: 1, maxLength: 200 } },
  additionalProperties: false,
} as const;
const bearer = [{ bearer: [] }];

/** Route schemas by route, with tags for the OpenAPI document. */
export const ROUTE_SCHEMAS = {
  health: { tags: ["health"], summary: "The host's health report (journal, fail-stop reason, handlers)", response: { 200: { $ref: "Health#" } } },
  healthz: { tags: ["health"], summary: "Liveness: 200 unless the journal failed (then restart the process)", response: { 200: { $ref: "Health#" }, 503: { $ref: "Health#" } } },
  readyz: { tags: ["health"], summary: "Readiness: 200 once the host is open and accepting writes", response: { 200: { $ref: "Health#" }, 503: { $ref: "Health#" } } },
  metricsJson: {
    tags: ["metrics"],
    summary: "Every queue's metrics",
    response: { 200: open({ at: int, queues: { type: "array", items: { $ref: "QueueMetrics#" } }, total: open({}) }, ["at", "queues"]) },
  },
  prometheus: { tags: ["metrics"], summary: "Metrics in the Prometheus text format", produces: ["text/plain"] },
  queues: { tags: ["queues"], summary: "Names of the known queues", response: { 200: { type: "array", items: str } } },
  queue: { tags: ["queues"], summary: "One queue's metrics", params: queueParam, response: { 200: { $ref: "QueueMetrics#" }, ...errors } },
  peek: {
    tags: ["queues"],
    summary: "Ready messages in delivery order, without leasing them (501 when the host or its backend cannot peek)",
    params: queueParam,
    querystring: { type: "object", properties: { limit: { type: "integer", minimum: 1, maximum: 1000, default: 10 } }, additionalProperties: false },
    response: { 200: { type: "array", items: { $ref: "Message#" } }, ...errors },
  },
  purge: { tags: ["queues"], summary: "Delete a queue's ready and delayed messages (501 when the host or its backend cannot purge)", security: bearer, params: queueParam, response: { 200: open({ purged: int }, ["purged"]), ...errors } },
  limits: { tags: ["queues"], summary: "The queue's rate limits, in-flight cap and group failure mode", params: queueParam, response: { 200: { $ref: "Limits#" }, ...errors } },
  setLimits: {
    tags: ["queues"],
    summary: "Change the queue's limits at runtime (only the fields given; null removes a limit)",
    security: bearer,
    params: queueParam,
    body: {
      type: "object",
      properties: { rateLimit: rateLimitSchema, groupRateLimit: rateLimitSchema, maxInFlight: { type: ["integer", "null"], minimum: 1 }, groupOnFailure: { type: "string", enum: ["block", "skip"] } },
      additionalProperties: false,
    },
    response: { 200: { $ref: "Limits#" }, ...errors },
  },
  handlers: { tags: ["handlers"], summary: "Registered handlers", response: { 200: { type: "array", items: { $ref: "Handler#" } } } },
  scale: {
    tags: ["handlers"],
    summary: "Set a handler's parallelism",
    security: bearer,
    params: queueParam,
    body: { type: "object", properties: { parallelism: { type: "integer", minimum: 1, maximum: 10_000 } }, required: ["parallelism"], additionalProperties: false },
    response: { 200: { $ref: "Handler#" }, ...errors },
  },
  pause: { tags: ["handlers"], summary: "Stop starting handlers for a queue (running ones finish)", security: bearer, params: queueParam, response: { 200: { $ref: "Handler#" }, ...errors } },
  resume: { tags: ["handlers"], summary: "Start handlers for a paused queue again", security: bearer, params: queueParam, response: { 200: { $ref: "Handler#" }, ...errors } },
  snapshot: { tags: ["journal"], summary: "Write a snapshot now", security: bearer, response: { 200: { $ref: "Snapshot#" }, ...errors } },
  deadLetters: {
    tags: ["dead letters"],
    summary: "A page of dead letters, oldest first",
    querystring: {
      type: "object",
      properties: { queue: { type: "string", minLength: 1 }, reason: { type: "string", minLength: 1 }, limit: { type: "integer", minimum: 1, maximum: 1000, default: 50 }, cursor: { type: "string", minLength: 1 } },
      additionalProperties: false,
    },
    response: { 200: open({ items: { type: "array", items: { $ref: "DeadLetter#" } }, nextCursor: str, total: int }, ["items", "total"]), ...errors },
  },
  deadLetter: { tags: ["dead letters"], summary: "One dead letter by message id", params: idParam, response: { 200: { $ref: "DeadLetter#" }, ...errors } },
  replayOne: {
    tags: ["dead letters"],
    summary: "Re-enqueue one dead letter (attempts reset), optionally into another queue",
    security: bearer,
    params: idParam,
    body: { type: "object", properties: { queue: { type: "string", minLength: 1, maxLength: 200 } }, additionalProperties: false },
    response: { 200: open({ replayed: int, ids: { type: "array", items: str } }, ["replayed", "ids"]), ...errors },
  },
  replay: {
    tags: ["dead letters"],
    summary: "Re-enqueue every dead letter matching a filter",
    security: bearer,
    body: { ...filterBody, properties: { ...filterBody.properties, toQueue: { type: "string", minLength: 1, maxLength: 200 } } },
    response: { 200: open({ replayed: int, ids: { type: "array", items: str } }, ["replayed", "ids"]), ...errors },
  },
  purgeDeadLetters: { tags: ["dead letters"], summary: "Delete dead letters matching a filter (all with an empty body)", security: bearer, body: filterBody, response: { 200: open({ purged: int }, ["purged"]), ...errors } },
  events: { tags: ["live"], summary: "Server-Sent Events: a `metrics` event every liveIntervalMs with metrics, handlers and health", produces: ["text/event-stream"] },
} as const;
