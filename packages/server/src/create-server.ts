import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { QueueHost } from "@mq/host";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from "fastify";
import { auditText, outcomeOf, resolveAuditSink, type AuditAction } from "./audit";
import { TokenTable, type TokenPermissions } from "./auth";
import { guardConnections } from "./connection-guard";
import { CursorSigner } from "./cursors";
import { decodeJson, decodeMsgpack, encodeReply, JSON_TYPE, MSGPACK, wantsMsgpack } from "./codec";
import type { ServerContext } from "./context";
import { errorResponse } from "./error-status";
import { RequestError } from "./http-errors";
import { openApiDocument } from "./openapi";
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from "./options";
import { RateLimiter } from "./rate-limiter";
import { ReceiptSigner } from "./receipts";
import { registerDeadLetterRoutes } from "./routes/dead-letters";
import { registerJobRoutes } from "./routes/jobs";
import { registerMessageRoutes } from "./routes/messages";
import { registerQueueRoutes } from "./routes/queues";
import { registerScheduleRoutes } from "./routes/schedules";
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
  /** The admin listener's address, once listening, when `adminListener` is set (AZ8). */
  readonly adminAddress: { host: string; port: number; url: string } | undefined;
  /**
   * Replaces the token table without a restart (A4): the next request is
   * checked against it, and WebSockets whose token was revoked are closed
   * (1008). Throws InvalidOptionsError (keeping the old table) when the new
   * one is invalid, e.g. empty on a non-loopback address. Audited as `tokens.reload`.
   */
  setTokens(tokens: Readonly<Record<string, TokenPermissions>> | undefined): void;
}

// Routes that change or destroy data, or change routing: audited (DS16) and, with
// `adminListener`, served only there (AZ8). Keys are Fastify route patterns.
const AUDITED: Readonly<Record<string, AuditAction>> = {
  "POST /v1/queues/:queue/purge": "queue.purge",
  "PUT /v1/queues/:queue/settings": "queue.settings",
  "PUT /v1/topics/:topic/bindings/:queue": "topic.bind",
  "DELETE /v1/topics/:topic/bindings/:queue": "topic.unbind",
  "POST /v1/dead-letters/replay": "deadLetters.replay",
  "POST /v1/dead-letters/purge": "deadLetters.purge",
  "PUT /v1/queues/:queue/limits": "queue.limits",
  "PUT /v1/schedules/:name": "schedule.put",
  "DELETE /v1/schedules/:name": "schedule.delete",
  "DELETE /v1/queues/:queue/messages/:id": "message.cancel",
};
// Cancelling one message is a producer's act, audited but served on the main listener.
const ADMIN_ROUTES = new Set([...Object.keys(AUDITED).filter((r) => AUDITED[r] !== "message.cancel"), "GET /v1/stats", "GET /v1/schedules", "GET /v1/schedules/:name"]);

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
    tokens: new TokenTable(o.tokens, o.tls?.certificatePrincipals),
    limiter: new RateLimiter(o.rateLimitPerSecond, o.rateLimitBurst),
    signer: new ReceiptSigner(o.receiptSecret),
    cursors: new CursorSigner(o.cursorSecret),
    closing: closing.signal,
    longPolls: new Map(),
  };
  // Failed logins are limited per client address (A3): 10 a minute.
  const loginLimiter = new RateLimiter(10 / 60, 10);
  // DS7: request-body bytes per token, next to the request count.
  const byteLimiter = new RateLimiter(o.byteRateLimitPerSecond, o.byteRateLimitBurst);
  const audit = resolveAuditSink(o.audit, o.logger);
  // DS5: slow headers and slow bodies are cut off; long polls wait after the body is read.
  // Node checks the timeouts every connectionsCheckingInterval (30 s by default): check often enough to honour them.
  const timing = { headersTimeout: o.headersTimeoutMs, requestTimeout: o.requestTimeoutMs, connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(o.headersTimeoutMs / 2))) };
  // A7: with requestCert a client without a certificate from `ca` fails the TLS handshake.
  const tls = o.tls === undefined ? undefined : { key: o.tls.key, cert: o.tls.cert, ...(o.tls.ca === undefined ? {} : { ca: o.tls.ca as string | Buffer | (string | Buffer)[] }), requestCert: o.tls.requestCert === true, rejectUnauthorized: o.tls.requestCert === true, ...timing };
  const adminSockets = new WeakSet<Socket>();
  const app = Fastify({
    bodyLimit: o.maxBodyBytes,
    ...(tls === undefined ? { http: timing } : { https: tls }),
    // Fastify sets server.requestTimeout from its own option (0 unless given), so it is passed here too.
    requestTimeout: o.requestTimeoutMs,
    forceCloseConnections: true,
    return503OnClosing: true,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    logger: false,
  });
  app.decorateRequest("principal", null as never);
  app.decorateRequest("bodyBytes", 0);
  app.decorateRequest("auditResult", undefined);
  guardConnections(app.server, o);

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
    if (o.adminListener !== undefined && req.url.startsWith("/v1/")) {
      // AZ8: each listener answers only its own routes; the other's are 404, as if absent.
      const adminRoute = ADMIN_ROUTES.has(`${req.method} ${req.routeOptions.url ?? ""}`);
      if (adminRoute !== adminSockets.has(req.raw.socket)) throw new RequestError(404, "NO_SUCH_ROUTE", `no route ${req.method} ${sanitize(req.url.split("?")[0] ?? "")}${adminRoute ? " on this listener; admin routes are on the admin listener" : ""}`);
    }
    if (!req.url.startsWith("/v1/")) return;
    if (/[?&](token|access_token)=/.test(req.url)) throw new RequestError(400, "TOKEN_IN_QUERY", "tokens are not accepted in the query string (they leak into logs); send `Authorization: Bearer <token>`");
    try {
      req.principal = ctx.tokens.authenticate(req.headers.authorization, req.raw.socket);
    } catch (error) {
      if (req.headers.authorization !== undefined) loginLimiter.take(req.ip);
      throw error;
    }
    ctx.limiter.take(req.principal.id);
    // Declared lengths are charged before the body is read; chunked bodies after (preValidation).
    const length = Number(req.headers["content-length"]);
    if (Number.isSafeInteger(length) && length > 0) byteLimiter.take(req.principal.id, Math.min(length, o.maxBodyBytes));
  };
  app.addHook("preValidation", (req, _reply, done) => {
    try {
      if (req.principal !== null && req.headers["content-length"] === undefined && req.bodyBytes > 0) byteLimiter.take(req.principal.id, req.bodyBytes);
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  // DS16: every audited route leaves one event, whatever its outcome (denied and refused included).
  app.addHook("onResponse", (req, reply, done) => {
    const action = AUDITED[`${req.method} ${req.routeOptions.url ?? ""}`];
    if (action !== undefined) {
      const target: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...(req.params as object), ...pick(req.body, ["queue", "reason", "id", "toQueue", "cron"]) })) if (v !== undefined) target[k] = auditText(v);
      audit({
        action,
        at: new Date().toISOString(),
        principal: (req.principal as { id?: string } | null)?.id ?? "unauthenticated",
        ip: req.ip,
        target,
        outcome: outcomeOf(reply.statusCode),
        status: reply.statusCode,
        ...(req.auditResult === undefined ? {} : { result: req.auditResult }),
      });
    }
    done();
  });

  // Every reply is encoded here, so routes return plain values and content negotiation lives in one place.
  app.setReplySerializer((payload) => payload as string);
  app.addHook("onSend", (req, reply, payload, done) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("cache-control", "no-store");
    if (typeof payload !== "object" || payload === null || Buffer.isBuffer(payload) || typeof (payload as { pipe?: unknown }).pipe === "function") return done(null, payload);
    // The counts an audited action reports (purged, replayed), never ids or payloads.
    if (reply.statusCode < 300 && AUDITED[`${req.method} ${req.routeOptions.url ?? ""}`] !== undefined) req.auditResult = Object.fromEntries(Object.entries(payload).filter(([, v]) => typeof v === "number"));
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
  // DS9: readiness follows the host. A fail-stopped journal (or a stopping host) answers 503, so a
  // load balancer stops sending writes; the failure's text stays in host.health() (it may name paths).
  app.get("/readyz", (_req, reply) => {
    const health = host.health();
    if (health.ok && !closing.signal.aborted) return void reply.send({ ok: true, status: health.status });
    void reply.code(503).header("retry-after", "1").send({ ok: false, status: closing.signal.aborted ? "closing" : health.status });
  });
  const openApi = openApiDocument(o);
  app.get("/openapi.json", (_req, reply) => void reply.send(openApi));
  registerMessageRoutes(app, ctx);
  registerQueueRoutes(app, ctx);
  registerDeadLetterRoutes(app, ctx);
  registerJobRoutes(app, ctx);
  registerScheduleRoutes(app, ctx);

  const ws = new WsGateway(ctx);
  app.server.on("upgrade", (req, socket, head) => ws.upgrade(req, socket, head));

  let address: { host: string; port: number; url: string } | undefined;
  let adminAddress: { host: string; port: number; url: string } | undefined;
  let adminServer: HttpServer | undefined;
  const scheme = tls === undefined ? "http" : "https";
  return {
    options: o,
    fastify: app,
    get address() {
      return address;
    },
    get adminAddress() {
      return adminAddress;
    },
    async listen() {
      await app.listen({ host: o.host, port: o.port });
      address = describe(app.server.address() as AddressInfo, scheme);
      if (o.adminListener !== undefined) {
        // The same Fastify app behind a second socket: the route check above tells the listeners apart by socket.
        const routing = (req: IncomingMessage, res: ServerResponse): void => app.routing(req, res);
        const server = (tls === undefined ? createHttpServer(timing, routing) : createHttpsServer(tls, routing)) as HttpServer;
        server.requestTimeout = o.requestTimeoutMs;
        guardConnections(server, o);
        server.on("connection", (socket: Socket) => adminSockets.add(socket));
        server.on("secureConnection", (socket: Socket) => adminSockets.add(socket));
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(o.adminListener!.port, o.adminListener!.host ?? "127.0.0.1", () => resolve());
        });
        adminServer = server;
        adminAddress = describe(server.address() as AddressInfo, scheme);
      }
      return address;
    },
    setTokens(tokens) {
      try {
        resolveServerOptions({ ...options, ...(tokens === undefined ? { tokens: {} } : { tokens }) });
      } catch (error) {
        audit({ action: "tokens.reload", at: new Date().toISOString(), principal: "operator", target: {}, outcome: "refused", status: 422 });
        throw error;
      }
      ctx.tokens.replace(tokens);
      ws.recheckTokens();
      audit({ action: "tokens.reload", at: new Date().toISOString(), principal: "operator", target: {}, outcome: "ok", status: 200, result: { tokens: Object.keys(tokens ?? {}).length } });
    },
    async close() {
      closing.abort(new Error("server closing"));
      ws.close();
      if (adminServer !== undefined) {
        const s = adminServer;
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([app.close(), new Promise((r) => (timer = setTimeout(r, o.drainTimeoutMs)))]);
      clearTimeout(timer);
    },
  };
}

function describe(a: AddressInfo, scheme: string): { host: string; port: number; url: string } {
  const h = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return { host: a.address, port: a.port, url: `${scheme}://${h}:${a.port}` };
}

function pick(body: unknown, keys: readonly string[]): Record<string, unknown> {
  if (typeof body !== "object" || body === null) return {};
  const out: Record<string, unknown> = {};
  for (const k of keys) if (typeof (body as Record<string, unknown>)[k] === "string") out[k] = (body as Record<string, unknown>)[k];
  return out;
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
