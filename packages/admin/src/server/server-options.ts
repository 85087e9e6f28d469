import { randomBytes } from "node:crypto";
import { InvalidOptionsError, type OptionIssue } from "@mq/core";

/** Options of {@link createAdminServer}. */
export interface AdminServerOptions {
  /** TCP port; 0 picks a free one (read it back from `server.port`). @default 0 */
  readonly port?: number;
  /** Interface to listen on. Loopback by default: expose it deliberately, behind TLS. @default "127.0.0.1" */
  readonly host?: string;
  /** Bearer token every state-changing route requires (at least 16 characters). @default a random token, see `server.token` */
  readonly token?: string;
  /** How often the dashboard's live stream pushes numbers. @default 1_000 */
  readonly liveIntervalMs?: number;
  /** Serve the web dashboard at `/`. @default true */
  readonly dashboard?: boolean;
}

/** Options with defaults applied. */
export interface ResolvedAdminServerOptions {
  readonly port: number;
  readonly host: string;
  readonly token: string;
  readonly liveIntervalMs: number;
  readonly dashboard: boolean;
}

/** Validates options once, reporting every problem; fills in defaults. */
export function resolveAdminServerOptions(options: AdminServerOptions = {}): ResolvedAdminServerOptions {
  const issues: OptionIssue[] = [];
  const { port = 0, host = "127.0.0.1", token, liveIntervalMs = 1_000, dashboard = true } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) issues.push({ path: "port", message: "must be an integer from 0 to 65535" });
  if (typeof host !== "string" || host === "") issues.push({ path: "host", message: "must be a host name or IP address" });
  if (token !== undefined && (typeof token !== "string" || token.length < 16 || /\s/.test(token))) issues.push({ path: "token", message: "must be a string of at least 16 characters without spaces" });
  if (!Number.isInteger(liveIntervalMs) || liveIntervalMs < 100 || liveIntervalMs > 60_000) issues.push({ path: "liveIntervalMs", message: "must be an integer from 100 to 60000" });
  if (typeof dashboard !== "boolean") issues.push({ path: "dashboard", message: "must be a boolean" });
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) issues.push({ path: key, message: "is not an option of createAdminServer" });
  if (issues.length > 0) throw new InvalidOptionsError("admin", issues);
  return { port, host, token: token ?? randomBytes(24).toString("base64url"), liveIntervalMs, dashboard };
}

const KNOWN = new Set(["port", "host", "token", "liveIntervalMs", "dashboard"]);
