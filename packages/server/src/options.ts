import { InvalidOptionsError, type Logger, type OptionIssue } from "@mq/core";
import type { AuditSink } from "./audit";
import type { TokenPermissions } from "./auth";

/** TLS for the listeners (A7). With `requestCert`, a client without a certificate signed by `ca` fails the handshake. */
export interface ServerTlsOptions {
  /** PEM private key. */
  readonly key: string | Buffer;
  /** PEM certificate chain. */
  readonly cert: string | Buffer;
  /** PEM CA bundle that client certificates must chain to (mTLS). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Ask for a client certificate and refuse the handshake without a valid one. @default false */
  readonly requestCert?: boolean;
  /**
   * Permissions by client-certificate name (subject CN, or a SAN entry as Node
   * prints it: `DNS:worker.internal`, `URI:spiffe://mq/worker`, `IP Address:10.0.0.7`).
   * A request without `Authorization` on a verified certificate gets them (A7).
   * Needs `requestCert`.
   */
  readonly certificatePrincipals?: Readonly<Record<string, TokenPermissions>>;
}

/** A second listener that alone serves the admin routes (AZ8). */
export interface AdminListenerOptions {
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
}

/** Options of {@link createServer}. Every limit has a default; see the README's options table. */
export interface ServerOptions {
  /** Interface to listen on. Anything but loopback requires `tokens` (A6). @default "127.0.0.1" */
  readonly host?: string;
  /** TCP port; 0 picks a free one. @default 7070 */
  readonly port?: number;
  /**
   * Bearer tokens and what each may do. Without tokens every caller may do
   * everything, which is only allowed on a loopback address.
   * @example { "s3cret": { produce: ["orders"], consume: ["*"], admin: false } }
   */
  readonly tokens?: Readonly<Record<string, TokenPermissions>>;
  /** Largest request body. @default 1_048_576 */
  readonly maxBodyBytes?: number;
  /** Largest single message payload, encoded. @default 262_144 */
  readonly maxMessageBytes?: number;
  /** Most messages in one send or ack. @default 100 */
  readonly maxBatch?: number;
  /** Most messages one receive returns. @default 100 */
  readonly maxReceive?: number;
  /** Longest long-poll wait. @default 20_000 */
  readonly maxWaitMs?: number;
  /** Longest visibility timeout (lease). @default 43_200_000 (12 h) */
  readonly maxLeaseMs?: number;
  /** Longest delay. @default 900_000 (15 min) */
  readonly maxDelayMs?: number;
  /** Requests per second per token (bucket refill rate); 0 turns the limit off. @default 1_000 */
  readonly rateLimitPerSecond?: number;
  /** Bucket size: the burst a token may send at once. @default 2_000 */
  readonly rateLimitBurst?: number;
  /** Most concurrent long polls per token. @default 64 */
  readonly maxLongPollsPerToken?: number;
  /** Largest WebSocket frame. @default 1_048_576 */
  readonly maxFrameBytes?: number;
  /** Most messages a WebSocket subscriber may have granted and unacknowledged. @default 1_000 */
  readonly maxCredit?: number;
  /** Ping interval for WebSocket liveness; two missed pongs end the socket. @default 30_000 */
  readonly pingIntervalMs?: number;
  /** Secret that signs receipts; random per start when omitted (leases end on restart anyway). */
  readonly receiptSecret?: string;
  /** How long close() waits for in-flight requests. @default 10_000 */
  readonly drainTimeoutMs?: number;
  readonly logger?: Logger;
  /** Most open connections in total (`server.maxConnections`). @default 10_000 */
  readonly maxConnections?: number;
  /** Most open connections from one client address; more are closed at once (DS5). @default 256 */
  readonly maxConnectionsPerIp?: number;
  /** Time a client has to send the request headers (slowloris, DS5). @default 10_000 */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send the whole request; long-poll waits start after the body is read. @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** Request-body bytes per second per token (bucket refill rate); 0 turns it off. @default 67_108_864 */
  readonly byteRateLimitPerSecond?: number;
  /** Byte bucket size; at least `maxBodyBytes`. @default 134_217_728 */
  readonly byteRateLimitBurst?: number;
  /** HMAC key of dead-letter cursors; random per start when omitted (cursors are short-lived). */
  readonly cursorSecret?: string;
  /** TLS, optionally with client certificates (mTLS). Applies to both listeners. */
  readonly tls?: ServerTlsOptions;
  /** Serve the admin routes only on this second listener; the main one answers them 404 (AZ8). */
  readonly adminListener?: AdminListenerOptions;
  /**
   * Where audit events go (purges, replays, settings, bindings, token reloads):
   * a function, or omitted to write them to `logger.info` under `audit`.
   */
  readonly audit?: AuditSink;
}

/** Options with every default filled in. */
export type ResolvedServerOptions = Required<Omit<ServerOptions, "tokens" | "logger" | "receiptSecret" | "cursorSecret" | "tls" | "adminListener" | "audit">> &
  Pick<ServerOptions, "tokens" | "logger" | "receiptSecret" | "cursorSecret" | "tls" | "adminListener" | "audit">;

/** Defaults of {@link ServerOptions}, as data. */
export const SERVER_DEFAULTS = {
  host: "127.0.0.1",
  port: 7070,
  maxBodyBytes: 1_048_576,
  maxMessageBytes: 262_144,
  maxBatch: 100,
  maxReceive: 100,
  maxWaitMs: 20_000,
  maxLeaseMs: 43_200_000,
  maxDelayMs: 900_000,
  rateLimitPerSecond: 1_000,
  rateLimitBurst: 2_000,
  maxLongPollsPerToken: 64,
  maxFrameBytes: 1_048_576,
  maxCredit: 1_000,
  pingIntervalMs: 30_000,
  drainTimeoutMs: 10_000,
  maxConnections: 10_000,
  maxConnectionsPerIp: 256,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  byteRateLimitPerSecond: 67_108_864,
  byteRateLimitBurst: 134_217_728,
} as const satisfies Partial<ServerOptions>;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Validates options once, reporting every problem with its path. */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  const issues: OptionIssue[] = [];
  const resolved = { ...SERVER_DEFAULTS, ...stripUndefined(options) } as ResolvedServerOptions;
  for (const [key, value] of Object.entries(resolved)) {
    if (key in SERVER_DEFAULTS && key !== "host" && (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)) issues.push({ path: key, message: "must be a non-negative integer" });
  }
  if (typeof resolved.host !== "string" || resolved.host === "") issues.push({ path: "host", message: "must be a host name or address" });
  if (resolved.byteRateLimitPerSecond > 0 && resolved.byteRateLimitBurst < resolved.maxBodyBytes) issues.push({ path: "byteRateLimitBurst", message: "must be at least maxBodyBytes, or the largest body could never pass" });
  if (resolved.headersTimeoutMs < 1 || resolved.requestTimeoutMs < resolved.headersTimeoutMs) issues.push({ path: "requestTimeoutMs", message: "headersTimeoutMs must be ≥ 1 and requestTimeoutMs ≥ headersTimeoutMs" });
  if (resolved.tls !== undefined && (resolved.tls.key === undefined || resolved.tls.cert === undefined)) issues.push({ path: "tls", message: "needs key and cert (PEM)" });
  if (resolved.tls?.certificatePrincipals !== undefined && resolved.tls.requestCert !== true) issues.push({ path: "tls.certificatePrincipals", message: "needs requestCert: true (and ca), or no certificate is ever verified" });
  if (resolved.tls?.requestCert === true && resolved.tls.ca === undefined) issues.push({ path: "tls.ca", message: "requestCert needs the CA that client certificates chain to" });
  if (resolved.adminListener !== undefined) {
    const a = resolved.adminListener;
    if (!Number.isSafeInteger(a.port) || a.port < 0 || a.port > 65_535) issues.push({ path: "adminListener.port", message: "must be 0..65535" });
    if (!isLoopback(a.host ?? "127.0.0.1") && Object.keys(resolved.tokens ?? {}).length === 0 && Object.keys(resolved.tls?.certificatePrincipals ?? {}).length === 0) issues.push({ path: "adminListener.host", message: "a non-loopback admin listener needs tokens" });
  }
  if (resolved.port > 65_535) issues.push({ path: "port", message: "must be 0..65535" });
  const tokens = resolved.tokens ?? {};
  for (const [token, perms] of Object.entries(tokens)) {
    if (!/^[A-Za-z0-9._~+/-]+=*$/.test(token)) issues.push({ path: `tokens.${token.slice(0, 8)}…`, message: "a token must be token68 characters (letters, digits, -._~+/ and trailing =)" });
    for (const field of ["produce", "consume"] as const) {
      const list = perms[field];
      if (list !== undefined && (!Array.isArray(list) || list.some((q) => typeof q !== "string"))) issues.push({ path: `tokens.${token.slice(0, 4)}….${field}`, message: "must be a list of queue names or patterns" });
    }
  }
  const certificatePrincipals = Object.keys(resolved.tls?.certificatePrincipals ?? {}).length;
  if (!isLoopback(String(resolved.host)) && Object.keys(tokens).length === 0 && certificatePrincipals === 0)
    issues.push({ path: "host", message: `listening on ${resolved.host} without any token would let anyone on the network use every queue; configure tokens or listen on 127.0.0.1` });
  if (issues.length > 0) throw new InvalidOptionsError("server", issues);
  return resolved;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
