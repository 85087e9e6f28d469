import { InvalidOptionsError, type Logger, type OptionIssue } from "@mq/core";
import type { TokenPermissions } from "./auth";

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
}

/** Options with every default filled in. */
export type ResolvedServerOptions = Required<Omit<ServerOptions, "tokens" | "logger" | "receiptSecret">> & Pick<ServerOptions, "tokens" | "logger" | "receiptSecret">;

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
  if (resolved.port > 65_535) issues.push({ path: "port", message: "must be 0..65535" });
  const tokens = resolved.tokens ?? {};
  for (const [token, perms] of Object.entries(tokens)) {
    if (!/^[A-Za-z0-9._~+/-]+=*$/.test(token)) issues.push({ path: `tokens.${token.slice(0, 8)}…`, message: "a token must be token68 characters (letters, digits, -._~+/ and trailing =)" });
    for (const field of ["produce", "consume"] as const) {
      const list = perms[field];
      if (list !== undefined && (!Array.isArray(list) || list.some((q) => typeof q !== "string"))) issues.push({ path: `tokens.${token.slice(0, 4)}….${field}`, message: "must be a list of queue names or patterns" });
    }
  }
  if (!isLoopback(String(resolved.host)) && Object.keys(tokens).length === 0)
    issues.push({ path: "host", message: `listening on ${resolved.host} without any token would let anyone on the network use every queue; configure tokens or listen on 127.0.0.1` });
  if (issues.length > 0) throw new InvalidOptionsError("server", issues);
  return resolved;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
