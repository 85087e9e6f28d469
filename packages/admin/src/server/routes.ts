import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AdminApi } from "../admin-api";
import type { LimitsUpdate } from "../limits";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../prometheus";
import { ROUTE_SCHEMAS as S } from "./schemas";

type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;
type QueueParams = { Params: { queue: string } };
type IdParams = { Params: { id: string } };
type Filter = { queue?: string; reason?: string };

/** Treats a missing body as `{}` so body-less POSTs (curl -X POST) work where every field is optional. */
function emptyBodyIsObject(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  if (request.body === undefined || request.body === null) request.body = {};
  done();
}

/** The JSON routes, /metrics and the health probes. `guard` protects every state-changing route. */
export function registerRoutes(app: FastifyInstance, api: AdminApi, guard: Guard): void {
  app.get("/healthz", { schema: S.healthz }, async (_req, reply) => {
    const health = api.health();
    return reply.code(health.failure === undefined ? 200 : 503).send(health);
  });
  app.get("/readyz", { schema: S.readyz }, async (_req, reply) => {
    const health = api.health();
    return reply.code(health.ok ? 200 : 503).send(health);
  });
  app.get("/metrics", { schema: S.prometheus }, async (_req, reply) => {
    const text = renderPrometheus(await api.metrics(), api.health());
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(text);
  });

  app.get("/api/health", { schema: S.health }, () => api.health());
  app.get("/api/metrics", { schema: S.metricsJson }, () => api.metrics());
  app.get("/api/queues", { schema: S.queues }, async () => (await api.metrics()).queues.map((q) => q.queue));
  app.get<QueueParams>("/api/queues/:queue", { schema: S.queue }, (req) => api.queue(req.params.queue));
  app.get<QueueParams & { Querystring: { limit: number } }>("/api/queues/:queue/messages", { schema: S.peek }, (req) => api.peek(req.params.queue, req.query.limit));
  app.post<QueueParams>("/api/queues/:queue/purge", { schema: S.purge, onRequest: guard }, (req) => api.purge(req.params.queue));

  app.get<QueueParams>("/api/queues/:queue/limits", { schema: S.limits }, (req) => api.limits(req.params.queue));
  app.put<QueueParams & { Body: LimitsUpdate }>("/api/queues/:queue/limits", { schema: S.setLimits, onRequest: guard, preValidation: emptyBodyIsObject }, (req) => api.setLimits(req.params.queue, req.body));

  app.get("/api/handlers", { schema: S.handlers }, () => api.handlers());
  app.post<QueueParams & { Body: { parallelism: number } }>("/api/handlers/:queue/scale", { schema: S.scale, onRequest: guard }, (req) => api.scale(req.params.queue, req.body.parallelism));
  app.post<QueueParams>("/api/handlers/:queue/pause", { schema: S.pause, onRequest: guard }, (req) => api.pause(req.params.queue));
  app.post<QueueParams>("/api/handlers/:queue/resume", { schema: S.resume, onRequest: guard }, (req) => api.resume(req.params.queue));

  app.post("/api/snapshot", { schema: S.snapshot, onRequest: guard }, () => api.snapshot());

  app.get<{ Querystring: Filter & { limit: number; cursor?: string } }>("/api/dead-letters", { schema: S.deadLetters }, (req) => api.deadLetters.list(req.query));
  app.get<IdParams>("/api/dead-letters/:id", { schema: S.deadLetter }, (req) => api.deadLetters.get(req.params.id));
  app.post<IdParams & { Body: { queue?: string } }>("/api/dead-letters/:id/replay", { schema: S.replayOne, onRequest: guard, preValidation: emptyBodyIsObject }, async (req) =>
    api.deadLetters.replay(req.params.id, req.body.queue === undefined ? {} : { queue: req.body.queue }),
  );
  app.post<{ Body: Filter & { toQueue?: string } }>("/api/dead-letters/replay", { schema: S.replay, onRequest: guard, preValidation: emptyBodyIsObject }, async (req) => {
    const { toQueue, ...filter } = req.body;
    return api.deadLetters.replay(filter, toQueue === undefined ? {} : { queue: toQueue });
  });
  app.post<{ Body: Filter }>("/api/dead-letters/purge", { schema: S.purgeDeadLetters, onRequest: guard, preValidation: emptyBodyIsObject }, (req) => api.deadLetters.purge(req.body));
}
