import { HostClosedError, MQ_ERROR_CODES, MqError, NotFoundError, NotSupportedError, type CompletedMessage } from "@mq/core";
import type { FastifyInstance } from "fastify";
import { authorize, type Principal } from "../auth";
import { encodedSize } from "../codec";
import { principalOf, requestSignal, type ServerContext } from "../context";
import { tooLarge } from "../http-errors";
import { MESSAGE_ID_PATTERN, parse, parseName, parseSegment } from "../validation";
import { takeLongPoll } from "./messages";

/**
 * Jobs over HTTP: look a message up by id, cancel a pending one, report a
 * running delivery's progress, and read (or wait for) a kept completion.
 */
export function registerJobRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { host, schemas, signer, options } = ctx;

  app.get<{ Params: { queue: string; id: string } }>("/v1/queues/:queue/messages/:id", async (req) => {
    const queue = parseName(req.params.queue);
    const id = parseSegment(req.params.id, MESSAGE_ID_PATTERN, "id");
    authorizeEither(principalOf(req), queue);
    // An id the host does not know answers 200 with state "unknown", as the QueueBackend contract does.
    return host.getMessage(queue, id);
  });

  app.delete<{ Params: { queue: string; id: string } }>("/v1/queues/:queue/messages/:id", async (req, reply) => {
    const queue = parseName(req.params.queue);
    const id = parseSegment(req.params.id, MESSAGE_ID_PATTERN, "id");
    // Whoever may send to a queue may take back what is still waiting there (pg-boss `cancel`).
    authorize(principalOf(req), "produce", queue);
    await host.cancel(queue, id);
    reply.code(204);
  });

  app.post("/v1/progress", async (req, reply) => {
    const body = parse(schemas.progress, req.body);
    const { queue, engineReceipt } = signer.open(body.receipt);
    authorize(principalOf(req), "consume", queue);
    // Progress is held in memory on the running message: bound it like a payload.
    if (req.bodyBytes > options.maxMessageBytes) {
      const size = encodedSize(body.value);
      if (size > options.maxMessageBytes) throw tooLarge("a progress value", size, options.maxMessageBytes);
    }
    const backend = host.backend;
    if (backend.progress === undefined) throw new NotSupportedError("progress", "this server's backend does not keep progress", { part: "server" });
    await backend.progress(engineReceipt, body.value);
    reply.code(204);
  });

  app.get<{ Params: { id: string } }>("/v1/results/:id", async (req, reply) => {
    const id = parseSegment(req.params.id, MESSAGE_ID_PATTERN, "id");
    const { waitMs = 0 } = parse(schemas.resultQuery, coerceWait(req.query), "query");
    const principal = principalOf(req);
    const visible = (found: CompletedMessage | undefined): CompletedMessage => {
      // Absent and not allowed answer alike, so ids cannot be probed (AZ2).
      if (found === undefined || !canSee(principal, found.queue)) throw noResult(id);
      return found;
    };
    const now = await host.result(id);
    if (now !== undefined || waitMs === 0) return visible(now);
    const release = takeLongPoll(ctx, principal.id);
    try {
      return visible(await host.waitForResult(id, { timeoutMs: waitMs, signal: requestSignal(reply, ctx.closing) }));
    } catch (error) {
      if (ctx.closing.aborted) throw new HostClosedError("server", "stopping");
      if (MqError.hasCode(error, MQ_ERROR_CODES.TIMEOUT)) throw noResult(id);
      if (MqError.hasCode(error, MQ_ERROR_CODES.UNRECOVERABLE)) {
        // Dead-lettered while we waited: say so only to whoever may see that queue.
        const letter = await host.deadLetters.get(id);
        if (letter === undefined || !canSee(principal, letter.queue)) throw noResult(id);
      }
      throw error;
    } finally {
      release();
    }
  });
}

function canSee(p: Principal, queue: string): boolean {
  return p.can("produce", queue) || p.can("consume", queue);
}

// Looking up is for producers ("what happened to order 42?") and consumers alike.
function authorizeEither(p: Principal, queue: string): void {
  if (!p.can("produce", queue)) authorize(p, "consume", queue);
}

function noResult(id: string): NotFoundError {
  return new NotFoundError("completion of message", id, "it has not completed, its queue does not keep completions (keepCompleted), or it was dropped by retention");
}

// Query strings are text; `waitMs` is a number.
function coerceWait(query: unknown): unknown {
  const q = { ...(query as Record<string, unknown>) };
  if (typeof q.waitMs === "string" && /^\d{1,9}$/.test(q.waitMs)) q.waitMs = Number(q.waitMs);
  return q;
}
