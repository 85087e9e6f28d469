import { InvalidArgumentError, InvalidOptionsError, type GroupFailureMode, type QueueSettings, type QueueStats, type RateLimit } from "@mq/core";
import type { FastifyInstance } from "fastify";
import { authorize } from "../auth";
import { principalOf, type ServerContext } from "../context";
import { RequestError } from "../http-errors";
import { parse, parseName, type Schemas } from "../validation";

/** Queue stats, queue list, settings, purge and topic bindings. */
export function registerQueueRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { host, schemas } = ctx;

  app.get("/v1/queues", async (req) => {
    const p = principalOf(req);
    const names = await host.queues();
    return { queues: names.filter((q) => p.can("consume", q) || p.can("produce", q) || p.can("admin", q)) };
  });

  // What the backend behind this server implements (groups, limits, throttle), so clients can announce the same.
  app.get("/v1/capabilities", () => ({ contractVersion: host.backend.contractVersion, capabilities: host.backend.capabilities ?? {} }));

  app.get("/v1/stats", async (req) => {
    authorize(principalOf(req), "admin", "*");
    return host.stats("*");
  });

  app.get<{ Params: { queue: string } }>("/v1/queues/:queue/stats", async (req) => {
    const queue = parseName(req.params.queue);
    const p = principalOf(req);
    if (!p.can("produce", queue)) authorize(p, "consume", queue);
    return host.stats(queue);
  });

  app.get<{ Params: { queue: string } }>("/v1/queues/:queue/peek", async (req) => {
    const queue = parseName(req.params.queue);
    const { limit = 10 } = parse(schemas.peekQuery, coerceLimit(req.query), "query");
    // Peeking shows payloads: a consumer's right, without leasing or counting an attempt.
    authorize(principalOf(req), "consume", queue);
    return { messages: await host.peek(queue, limit) };
  });

  app.get<{ Params: { topic: string } }>("/v1/topics/:topic/bindings", async (req) => {
    const topic = parseName(req.params.topic, "topic");
    const p = principalOf(req);
    // Like GET /v1/queues: only the queues this token can see.
    return { queues: (await host.bindings(topic)).filter((q) => p.can("consume", q) || p.can("produce", q) || p.can("admin", q)) };
  });

  app.put<{ Params: { queue: string } }>("/v1/queues/:queue/settings", async (req, reply) => {
    const queue = parseName(req.params.queue);
    const settings = parseSettings(schemas.settings, req.body);
    authorize(principalOf(req), "admin", queue);
    await host.configureQueue(queue, settings as QueueSettings);
    reply.code(204);
  });

  // The same shapes as @mq/admin's `/api/queues/:queue/limits`, over this server's tokens.
  app.get<{ Params: { queue: string } }>("/v1/queues/:queue/limits", async (req) => {
    const queue = parseName(req.params.queue);
    const p = principalOf(req);
    if (!p.can("produce", queue)) authorize(p, "consume", queue);
    return limitsOf(await host.stats(queue));
  });

  app.put<{ Params: { queue: string } }>("/v1/queues/:queue/limits", async (req) => {
    const queue = parseName(req.params.queue);
    const update = parseSettings(schemas.limits, req.body);
    authorize(principalOf(req), "admin", queue);
    await host.configureQueue(queue, update);
    return limitsOf(await host.stats(queue));
  });

  app.post<{ Params: { queue: string }; Querystring: { confirm?: string } }>("/v1/queues/:queue/purge", async (req) => {
    const queue = parseName(req.params.queue);
    authorize(principalOf(req), "admin", queue);
    if (req.query.confirm !== "true") throw new RequestError(422, "CONFIRM_REQUIRED", "purge deletes every ready and delayed message (in-flight ones finish); repeat with ?confirm=true");
    return { purged: await host.purge(queue) };
  });

  app.put<{ Params: { topic: string; queue: string } }>("/v1/topics/:topic/bindings/:queue", async (req, reply) => {
    const topic = parseName(req.params.topic, "topic");
    const queue = parseName(req.params.queue);
    authorize(principalOf(req), "admin", queue);
    await host.bind(topic, queue);
    reply.code(204);
  });

  app.delete<{ Params: { topic: string; queue: string } }>("/v1/topics/:topic/bindings/:queue", async (req, reply) => {
    const topic = parseName(req.params.topic, "topic");
    const queue = parseName(req.params.queue);
    authorize(principalOf(req), "admin", queue);
    await host.unbind(topic, queue);
    reply.code(204);
  });
}

// Query strings are text; `limit` is a number.
function coerceLimit(query: unknown): unknown {
  const q = { ...(query as Record<string, unknown>) };
  if (typeof q.limit === "string" && /^\d{1,7}$/.test(q.limit)) q.limit = Number(q.limit);
  return q;
}

// Bad settings answer as `host.configureQueue` does: InvalidOptionsError (422, MQ_INVALID_OPTIONS) naming the field.
function parseSettings<S extends Schemas["settings"] | Schemas["limits"]>(schema: S, body: unknown): ReturnType<typeof parse<S>> {
  try {
    return parse(schema, body);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new InvalidOptionsError("server", [{ path: error.argument, message: error.message.replace(/^\[mq:server\] /, "") }]);
    throw error;
  }
}

/** A queue's limits, as `GET/PUT /v1/queues/{queue}/limits` answer them (`null`: no limit). */
export interface QueueLimits {
  readonly rateLimit: RateLimit | null;
  readonly groupRateLimit: RateLimit | null;
  readonly maxInFlight: number | null;
  readonly groupOnFailure: GroupFailureMode;
}

function limitsOf(stats: QueueStats): QueueLimits {
  const s = stats.settings;
  return { rateLimit: s?.rateLimit ?? null, groupRateLimit: s?.groupRateLimit ?? null, maxInFlight: s?.maxInFlight ?? null, groupOnFailure: s?.groupOnFailure ?? "block" };
}
