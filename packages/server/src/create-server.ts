import type { AddressInfo } from "node:net";
import type { QueueHost } from "@mq/host";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from "fastify";
import { TokenTable } from "./auth";
import { decodeJson, decodeMsgpack, encodeReply, JSON_TYPE, MSGPACK, wantsMsgpack } from "./codec";
import type { ServerContext } from "./context";
import { errorResponse } from "./error-status";
import { RequestError } from "./http-errors";
import { openApiDocument } from "./openapi";
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from "./options";
import { RateLimiter } from "./rate-limiter";
import { ReceiptSigner } from "./receipts";
import { registerDeadLetterRoutes } from "./routes/dead-letters";
import { registerMessageRoutes } from "./routes/messages";
import { registerQueueRoutes } from "./routes/queues";
import { createSchemas } from "./validation";
import { WsGateway } from "./ws-gateway";

/** A running (or ready to run) @mq server. */
export interface MqServer {
  /** Resolved options, limits included. */
  readonly options: ResolvedServerOptions;
  /** Starts listening; resolves with the bound address (useful with `port: 0`). */
  listen(): Promise<{ host: string; port: number; url: string }>;
  /** The bound address, once listening. */
  readonly address: { host: string; port: number; url: string } | undefined;
  /**
   * Stops accepting connections, answers waiting long polls with their
   * current (empty) result, closes WebSockets (1001) and waits up to
   * `drainTimeoutMs` for in-flight requests. Does not stop the host: the
   * caller owns it (the CLI calls `host.stop()` next, which writes the final snapshot).
   */
  close(): Promise<void>;
  /** The Fastify instance, for tests and extra routes. */
  readonly fastify: FastifyInstance;
}

/**
 * Puts a started {@link QueueHost} on the network: the HTTP JSON/msgpack API,
 * the WebSocket endpoint and the OpenAPI document at `/openapi.json`.
 */
export function createServer(host: QueueHost, options: ServerOptions = {}): MqServer {
  const o = resolveServerOptions(options);
  const closing = new AbortController();
  const ctx: ServerContext = {
    host,
    options: o,
    schemas: createSchemas(o),
    tokens: new TokenTable(o.tokens),
    limiter: new RateLimiter(o.rateLimitPerSecond, o.rateLimitBurst),
    signer: new ReceiptSigner(o.receiptSecret),
    closing: closing.signal,
    longPolls: new Map(),
  };
  // Failed logins are limited per client address (A3): 10 a minute.
  const loginLimiter = new RateLimiter(10 / 60, 10);
  const app = Fastify({
    bodyLimit: o.maxBodyBytes,
    // DS5: slow headers and slow bodies are cut off; long polls wait after the body is read.
    http: { headersTimeout: 10_000, requestTimeout: 30_000 },
    forceCloseConnections: true,
    return503OnClosing: true,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    logger: false,
  });
  app.decorateRequest("principal", null as never);
  app.decorateRequest("bodyBytes", 0);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPE, { parseAs: "buffer" }, (req, body, done) => {
    try {
      req.bodyBytes = (body as Buffer).length;
      done(null, decodeJson(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addContentTypeParser(MSGPACK, { parseAs: "buffer" }, (req, body, done) => {
    try {
      req.bodyBytes = (body as Buffer).length;
      done(null, decodeMsgpack(body as Buffer, 100_000));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.addHook("onRequest", (req, _reply, done) => {
    try {
      checkRequest(req);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
  const checkRequest = (req: FastifyRequest): void => {
    const encoding = req.headers["content-encoding"];
    if (encoding !== undefined && encoding !== "identity") throw new RequestError(415, "UNSUPPORTED_ENCODING", "compressed bodies are not accepted; send the body uncompressed");
    if (!req.url.startsWith("/v1/")) return;
    if (/[?&](token|access_token)=/.test(req.url)) throw new RequestError(400, "TOKEN_IN_QUERY", "tokens are not accepted in the query string (they leak into logs); send `Authorization: Bearer <token>`");
    try {
      req.principal = ctx.tokens.authenticate(req.headers.authorization);
    } catch (error) {
      if (req.headers.authorization !== undefined) loginLimiter.take(req.ip);
      throw error;
    }
    ctx.limiter.take(req.principal.id);
  };

  // Every reply is encoded here, so routes return plain values and content negotiation lives in one place.
  app.setReplySerializer((payload) => payload as string);
  app.addHook("onSend", (req, reply, payload, done) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("cache-control", "no-store");
    if (typeof payload !== "object" || payload === null || Buffer.isBuffer(payload) || typeof (payload as { pipe?: unknown }).pipe === "function") return done(null, payload);
    const { type, body } = encodeReply(payload, wantsMsgpack(req.headers.accept));
    reply.header("content-type", type);
    done(null, body);
  });

  app.setErrorHandler((thrown: FastifyError, req, reply) => {
    const error = fromFastify(thrown);
    const { status, headers, body } = errorResponse(error);
    if (status >= 500 && status !== 501 && status !== 503) o.logger?.error({ err: thrown, url: sanitize(req.url) }, "[mq:server] request failed");
    if (status === 413) reply.header("connection", "close");
    const { type, body: encoded } = encodeReply(body, wantsMsgpack(req.headers.accept));
    void reply.code(status).headers(headers).header("content-type", type).send(encoded);
  });
  app.setNotFoundHandler((req, reply) => {
    const { status, headers, body } = errorResponse(new RequestError(404, "NO_SUCH_ROUTE", `no route ${req.method} ${sanitize(req.url.split("?")[0] ?? "")}; see GET /openapi.json`));
    const { type, body: encoded } = encodeReply(body, wantsMsgpack(req.headers.accept));
    void reply.code(status).headers(headers).header("content-type", type).send(encoded);
  });

  app.get("/healthz", (_req, reply) => void reply.send({ ok: true }));
  const openApi = openApiDocument(o);
  app.get("/openapi.json", (_req, reply) => void reply.send(openApi));
  registerMessageRoutes(app, ctx);
  registerQueueRoutes(app, ctx);
  registerDeadLetterRoutes(app, ctx);

  const ws = new WsGateway(ctx);
  app.server.on("upgrade", (req, socket, head) => ws.upgrade(req, socket, head));

  let address: { host: string; port: number; url: string } | undefined;
  return {
    options: o,
    fastify: app,
    get address() {
      return address;
    },
    async listen() {
      await app.listen({ host: o.host, port: o.port });
      const a = app.server.address() as AddressInfo;
      const h = a.family === "IPv6" ? `[${a.address}]` : a.address;
      address = { host: a.address, port: a.port, url: `http://${h}:${a.port}` };
      return address;
    },
    async close() {
      closing.abort(new Error("server closing"));
      ws.close();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([app.close(), new Promise((r) => (timer = setTimeout(r, o.drainTimeoutMs)))]);
      clearTimeout(timer);
    },
  };
}

// Fastify's own errors (body too large, bad media type, ...) become request errors with fixed messages.
function fromFastify(error: FastifyError): unknown {
  if (typeof error.code === "string" && error.code.startsWith("FST_") && typeof error.statusCode === "number") {
    const status = error.statusCode;
    if (status === 413) return new RequestError(413, "BODY_TOO_LARGE", "the request body is over the server's maxBodyBytes; send fewer messages per request");
    if (status === 415) return new RequestError(415, "UNSUPPORTED_MEDIA_TYPE", "send Content-Type: application/json or application/msgpack");
    if (error.code === "FST_ERR_CTP_INVALID_JSON_BODY" || error.code === "FST_ERR_CTP_EMPTY_JSON_BODY") return new RequestError(400, "MALFORMED_BODY", "the body is not valid JSON");
    if (status === 400 && /proto|constructor/i.test(error.message)) return new RequestError(422, "FORBIDDEN_KEY", "__proto__ and constructor keys are not accepted");
    return new RequestError(status >= 400 && status < 500 ? status : 400, "BAD_REQUEST", "the request could not be read");
  }
  if ((error as { statusCode?: unknown }).statusCode === 400 && error.name === "SyntaxError") return new RequestError(400, "MALFORMED_BODY", "the body is not valid JSON");
  return error;
}

// Strip CR/LF before anything user-supplied reaches a log line (A8).
function sanitize(s: string): string {
  return s.replace(/[\r\n]/g, " ").slice(0, 200);
}
