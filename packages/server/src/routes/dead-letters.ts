import { NotFoundError, type DeadLetterFilter } from "@mq/core";
import type { FastifyInstance } from "fastify";
import { authorize } from "../auth";
import { principalOf, type ServerContext } from "../context";
import { RequestError } from "../http-errors";
import { parse } from "../validation";

/** Dead letters: list, count, get, replay, purge. */
export function registerDeadLetterRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { host, schemas } = ctx;

  app.get("/v1/dead-letters", async (req) => {
    const q = parse(schemas.dlqList, coerceQuery(req.query), "query");
    authorize(principalOf(req), q.queue === undefined ? "admin" : "consume", q.queue ?? "*");
    // DS15: cursors are MAC'd and bound to the filter, so one cannot be forged or moved to another queue.
    const scope = { queue: q.queue, reason: q.reason };
    const cursor = q.cursor === undefined ? undefined : ctx.cursors.open(scope, q.cursor);
    const page = await host.deadLetters.list({ ...q, ...(cursor === undefined ? {} : { cursor }) });
    return page.nextCursor === undefined ? page : { ...page, nextCursor: ctx.cursors.sign(scope, page.nextCursor) };
  });

  app.get("/v1/dead-letters/count", async (req) => {
    const q = parse(schemas.dlqFilter, req.query, "query");
    authorize(principalOf(req), q.queue === undefined ? "admin" : "consume", q.queue ?? "*");
    return { count: await host.deadLetters.count(filter(q)) };
  });

  app.get<{ Params: { id: string } }>("/v1/dead-letters/:id", async (req) => {
    const letter = await host.deadLetters.get(req.params.id);
    // Not found and not allowed answer alike, so ids cannot be probed (AZ2).
    if (letter === undefined || !principalOf(req).can("consume", letter.queue)) throw new NotFoundError("dead letter", clip(req.params.id));
    return letter;
  });

  app.post<{ Querystring: { confirm?: string } }>("/v1/dead-letters/replay", async (req) => {
    const body = parse(schemas.dlqReplay, req.body ?? {});
    const p = principalOf(req);
    const to = body.toQueue === undefined ? {} : { queue: body.toQueue };
    if (body.toQueue !== undefined) authorize(p, "produce", body.toQueue);
    if (body.id !== undefined) {
      const letter = await host.deadLetters.get(body.id);
      if (letter === undefined || !p.can("consume", letter.queue)) throw new NotFoundError("dead letter", body.id);
      authorize(p, "admin", letter.queue);
      return host.deadLetters.replay(body.id, to);
    }
    authorize(p, "admin", body.queue ?? "*");
    if (body.queue === undefined && req.query.confirm !== "true") throw new RequestError(422, "CONFIRM_REQUIRED", "replaying every dead letter needs ?confirm=true (or name a queue or id)");
    return host.deadLetters.replay(filter(body), to);
  });

  app.post<{ Querystring: { confirm?: string } }>("/v1/dead-letters/purge", async (req) => {
    const body = parse(schemas.dlqFilter, req.body ?? {});
    authorize(principalOf(req), "admin", body.queue ?? "*");
    if (req.query.confirm !== "true") throw new RequestError(422, "CONFIRM_REQUIRED", "purge deletes dead letters for good; repeat with ?confirm=true");
    return { purged: await host.deadLetters.purge(filter(body)) };
  });
}

function filter(q: { queue?: string | undefined; reason?: string | undefined }): DeadLetterFilter {
  return { ...(q.queue === undefined ? {} : { queue: q.queue }), ...(q.reason === undefined ? {} : { reason: q.reason }) };
}

// Query strings are text; `limit` is the one number.
function coerceQuery(query: unknown): unknown {
  const q = { ...(query as Record<string, unknown>) };
  if (typeof q.limit === "string" && /^\d{1,7}$/.test(q.limit)) q.limit = Number(q.limit);
  return q;
}

function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}
