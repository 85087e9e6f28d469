import swagger from "@fastify/swagger";
import Fastify, { type FastifyInstance } from "fastify";
import type { AdminHost } from "../admin-host";
import { createAdminApi, type AdminApi } from "../admin-api";
import { requireToken } from "./auth";
import { loadDashboardAssets } from "./dashboard-assets";
import { handleError } from "./error-handler";
import { LiveStream } from "./live-stream";
import { createValidatorCompiler } from "./validator";
import { registerRoutes } from "./routes";
import { ROUTE_SCHEMAS, SHARED_SCHEMAS } from "./schemas";
import { resolveAdminServerOptions, type AdminServerOptions, type ResolvedAdminServerOptions } from "./server-options";

/** A listening admin server. */
export interface AdminServer {
  /** Base URL, e.g. `http://127.0.0.1:7070`. */
  readonly url: string;
  /** The dashboard with the token in the URL fragment (never sent to the server or its logs); open it in a browser. */
  readonly dashboardUrl: string;
  readonly port: number;
  /** The bearer token state-changing routes require (generated when not given). */
  readonly token: string;
  readonly options: ResolvedAdminServerOptions;
  /** The admin API the routes call. */
  readonly api: AdminApi;
  /** The Fastify instance (for `inject()` in tests or extra routes). */
  readonly app: FastifyInstance;
  /** Ends live streams and stops listening. The host keeps running. */
  close(): Promise<void>;
}

/**
 * Serves the admin API as JSON over HTTP (OpenAPI at `/openapi.json`),
 * `/healthz`, `/readyz`, `/metrics` (Prometheus text) and the web dashboard
 * at `/`, on loopback unless told otherwise. Resolves once listening.
 *
 * @example
 * const admin = await createAdminServer(host, { port: 7070, token: process.env.MQ_ADMIN_TOKEN });
 * console.log(`dashboard: ${admin.dashboardUrl}`);
 */
export async function createAdminServer(host: AdminHost, options: AdminServerOptions = {}): Promise<AdminServer> {
  const resolved = resolveAdminServerOptions(options);
  const api = createAdminApi(host);
  const live = new LiveStream(api, resolved.liveIntervalMs);
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
  });
  app.setValidatorCompiler(createValidatorCompiler());
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ statusCode: 404, code: "MQ_NOT_FOUND", error: "Not Found", message: `[mq:admin] no route ${req.method} ${req.url}; see /openapi.json` });
  });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      info: { title: "@mq/admin", version: "1", description: "Operate a running @mq host. State-changing routes need `Authorization: Bearer <token>`." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
  });
  app.get("/openapi.json", { schema: { hide: true } }, () => app.swagger());
  registerRoutes(app, api, requireToken(resolved.token));
  app.get("/api/events", { schema: ROUTE_SCHEMAS.events }, (req, reply) => {
    reply.hijack();
    live.attach(reply.raw);
    req.raw.on("close", () => reply.raw.end());
  });
  if (resolved.dashboard) {
    const assets = loadDashboardAssets();
    for (const [route, asset] of assets) {
      app.get(route, { schema: { hide: true } }, (_req, reply) => reply.type(asset.type).header("cache-control", route === "/" ? "no-cache" : "public, max-age=3600").send(asset.body));
    }
  }
  app.addHook("preClose", (done) => {
    live.close();
    done();
  });
  await app.listen({ port: resolved.port, host: resolved.host });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : resolved.port;
  const hostPart = resolved.host.includes(":") ? `[${resolved.host}]` : resolved.host === "0.0.0.0" ? "127.0.0.1" : resolved.host;
  const url = `http://${hostPart}:${port}`;
  return {
    url,
    dashboardUrl: `${url}/#token=${encodeURIComponent(resolved.token)}`,
    port,
    token: resolved.token,
    options: resolved,
    api,
    app,
    close: () => app.close(),
  };
}
