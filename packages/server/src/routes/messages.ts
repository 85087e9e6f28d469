import { HostClosedError, NotSupportedError, RateLimitedError, type Delivery, type EnqueueItem, type EnqueueResult, type NackOptions } from "@mq/core";
import type { FastifyInstance } from "fastify";
import { authorize } from "../auth";
import { encodedSize } from "../codec";
import { principalOf, requestSignal, type ServerContext } from "../context";
import { tooLarge } from "../http-errors";
import { authorizeTopics } from "../topic-auth";
import { parse, parseName, parseSend } from "../validation";

/** A delivery as it goes on the wire: the engine receipt wrapped and signed. */
export interface WireDelivery {
  readonly message: Delivery["message"];
  readonly receipt: string;
  readonly attempt: number;
  readonly leaseExpiresAt: number;
}

/** Send, receive, ack, nack, extend (change visibility) and release. */
export function registerMessageRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { host, schemas, signer, options } = ctx;

  app.post<{ Params: { queue: string } }>("/v1/queues/:queue/messages", async (req, reply) => {
    const queue = parseName(req.params.queue);
    const body = parseSend(schemas, req.body);
    authorize(principalOf(req), "produce", queue);
    const batch = "messages" in body;
    const items = (batch ? body.messages : [body]).map((m) => ({ ...m, queue }) as EnqueueItem);
    checkMessageSizes(items, req.bodyBytes, options.maxMessageBytes);
    const results = await host.enqueueBatch(items, { signal: requestSignal(reply, ctx.closing), ...(batch && body.waitIfFull === true ? { waitIfFull: true } : {}) });
    reply.code(201);
    return batch ? { results } : results[0];
  });

  app.post("/v1/messages", async (req, reply) => {
    const body = parse(schemas.enqueue, req.body);
    for (const item of body.items) if ("queue" in item) authorize(principalOf(req), "produce", item.queue);
    await authorizeTopics(host, principalOf(req), body.items.flatMap((item) => ("topic" in item ? [item.topic] : [])));
    const items = body.items as EnqueueItem[];
    checkMessageSizes(items, req.bodyBytes, options.maxMessageBytes);
    const results: EnqueueResult[] = await host.enqueueBatch(items, { signal: requestSignal(reply, ctx.closing), ...(body.waitIfFull === true ? { waitIfFull: true } : {}) });
    reply.code(201);
    return { results };
  });

  app.post<{ Params: { topic: string } }>("/v1/topics/:topic/messages", async (req, reply) => {
    const topic = parseName(req.params.topic, "topic");
    const body = parseSend(schemas, req.body);
    await authorizeTopics(host, principalOf(req), [topic]);
    const batch = "messages" in body;
    const items = (batch ? body.messages : [body]).map((m) => ({ ...m, topic }) as EnqueueItem);
    checkMessageSizes(items, req.bodyBytes, options.maxMessageBytes);
    const results = await host.enqueueBatch(items, { signal: requestSignal(reply, ctx.closing) });
    reply.code(201);
    return batch ? { results } : results[0];
  });

  app.post<{ Params: { queue: string } }>("/v1/queues/:queue/receive", async (req, reply) => {
    const queue = parseName(req.params.queue);
    const body = parse(schemas.receive, req.body ?? {});
    const principal = principalOf(req);
    authorize(principal, "consume", queue);
    const waitMs = body.waitMs ?? 0;
    const slot = waitMs > 0 ? takeLongPoll(ctx, principal.id) : undefined;
    try {
      const deliveries = await host.receive(queue, {
        max: body.max ?? 1,
        ...(body.visibilityTimeoutMs === undefined ? {} : { leaseMs: body.visibilityTimeoutMs }),
        waitMs,
        signal: requestSignal(reply, ctx.closing),
      });
      return { messages: deliveries.map((d) => toWire(ctx, queue, d)) };
    } catch (error) {
      // DS6: long polls cut short by a shutdown answer 503 + Retry-After, not "aborted".
      if (ctx.closing.aborted) throw new HostClosedError("server", "stopping");
      throw error;
    } finally {
      slot?.();
    }
  });

  app.post("/v1/ack", async (req, reply) => {
    const body = parse(schemas.ack, req.body);
    const principal = principalOf(req);
    const receipts = body.receipts.map((r) => {
      const { queue, engineReceipt } = signer.open(r);
      authorize(principal, "consume", queue);
      return engineReceipt;
    });
    const publish = (body.publish ?? []) as EnqueueItem[];
    for (const item of publish) if (item.queue !== undefined) authorize(principal, "produce", item.queue);
    await authorizeTopics(host, principal, publish.flatMap((item) => (item.queue === undefined && item.topic !== undefined ? [item.topic] : [])));
    checkMessageSizes(publish, req.bodyBytes, options.maxMessageBytes);
    // Results are stored with the completion (queues with keepCompleted): bounded like payloads.
    if (body.results !== undefined && req.bodyBytes > options.maxMessageBytes) checkMessageSizes(body.results.map((payload) => ({ queue: "-", payload })), req.bodyBytes, options.maxMessageBytes);
    await (body.results === undefined ? host.ack(receipts, publish) : host.backend.ack(receipts, publish, { results: body.results }));
    reply.code(204);
  });

  app.post("/v1/nack", async (req) => {
    const body = parse(schemas.nack, req.body);
    const { queue, engineReceipt } = signer.open(body.receipt);
    authorize(principalOf(req), "consume", queue);
    const { receipt: _receipt, ...rest } = body;
    return host.nack(engineReceipt, rest as NackOptions);
  });

  app.post("/v1/extend", async (req, reply) => {
    const body = parse(schemas.extend, req.body);
    const { queue, engineReceipt } = signer.open(body.receipt);
    authorize(principalOf(req), "consume", queue);
    await host.extend(engineReceipt, body.visibilityTimeoutMs);
    reply.code(204);
  });

  app.post("/v1/throttle", async (req, reply) => {
    const body = parse(schemas.throttle, req.body);
    const { queue, engineReceipt } = signer.open(body.receipt);
    authorize(principalOf(req), "consume", queue);
    const backend = host.backend;
    if (backend.throttle === undefined) throw new NotSupportedError("throttle", "this server's backend cannot throttle; nack with a delay instead", { part: "server" });
    await backend.throttle(engineReceipt, body.ms);
    reply.code(204);
  });

  app.post("/v1/release", async (req, reply) => {
    const body = parse(schemas.release, req.body);
    const receipts = body.receipts.map((r) => {
      const { queue, engineReceipt } = signer.open(r);
      authorize(principalOf(req), "consume", queue);
      return engineReceipt;
    });
    await host.backend.release(receipts);
    reply.code(204);
  });
}

/** Wraps a delivery's receipt for the wire. */
export function toWire(ctx: ServerContext, queue: string, d: Delivery): WireDelivery {
  return { message: d.message, receipt: ctx.signer.sign(queue, d.receipt), attempt: d.attempt, leaseExpiresAt: d.leaseExpiresAt };
}

/** Reserves a long-poll slot for a principal or answers 429 (DS6); returns the release function. */
export function takeLongPoll(ctx: ServerContext, id: string): () => void {
  const n = ctx.longPolls.get(id) ?? 0;
  if (n >= ctx.options.maxLongPollsPerToken) {
    throw new RateLimitedError(`more than ${ctx.options.maxLongPollsPerToken} concurrent long polls for this token`, 1_000);
  }
  ctx.longPolls.set(id, n + 1);
  return () => {
    const left = (ctx.longPolls.get(id) ?? 1) - 1;
    if (left <= 0) ctx.longPolls.delete(id);
    else ctx.longPolls.set(id, left);
  };
}

// A body no larger than the limit cannot hold a message over it, so only big bodies pay for measuring (DS2).
function checkMessageSizes(items: readonly EnqueueItem[], bodyBytes: number, limit: number): void {
  if (bodyBytes <= limit) return;
  for (const item of items) {
    const size = encodedSize(item.payload);
    if (size > limit) throw tooLarge("a message payload", size, limit);
  }
}
