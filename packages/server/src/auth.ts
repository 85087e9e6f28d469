import { createHash, timingSafeEqual } from "node:crypto";
import { AccessDeniedError } from "@mq/core";

/**
 * What one bearer token may do. Queue lists hold exact names, `*` (every
 * queue) or a prefix pattern such as `orders-*`. Topic publishes check
 * `produce` against the topic's name.
 */
export interface TokenPermissions {
  /** Queues (and topics) it may send to. */
  readonly produce?: readonly string[];
  /** Queues it may receive from, ack, nack, extend and release on, and read stats and dead letters of. */
  readonly consume?: readonly string[];
  /** Purge, dead-letter replay/purge, queue settings, topic bindings and all-queue stats: `true` for every queue or a list. */
  readonly admin?: boolean | readonly string[];
}

/** Who made a request, and what they may do. */
export interface Principal {
  /** A short, non-secret label for logs and rate limits (a digest prefix, never the token). */
  readonly id: string;
  readonly open: boolean;
  can(action: "produce" | "consume" | "admin", queue: string): boolean;
}

const OPEN: Principal = { id: "anonymous", open: true, can: () => true };

/** Checks bearer tokens in constant time over SHA-256 digests (A3) and answers permission questions. */
export class TokenTable {
  readonly #entries: { digest: Buffer; principal: Principal }[];

  constructor(tokens: Readonly<Record<string, TokenPermissions>> | undefined) {
    this.#entries = Object.entries(tokens ?? {}).map(([token, perms]) => {
      const digest = sha256(token);
      return { digest, principal: makePrincipal(digest.toString("hex").slice(0, 12), perms) };
    });
  }

  /** True when no tokens are configured (loopback-only open mode). */
  get open(): boolean {
    return this.#entries.length === 0;
  }

  /** The principal for an `Authorization` header value; throws 401 when missing or unknown. */
  authenticate(header: string | undefined): Principal {
    if (this.open) return OPEN;
    if (header === undefined || header === "") throw new AccessDeniedError("unauthenticated", "no bearer token; send `Authorization: Bearer <token>`");
    const match = /^bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
    if (match === null) throw new AccessDeniedError("unauthenticated", "the Authorization header must be `Bearer <token>`");
    const digest = sha256(match[1]!);
    let found: Principal | undefined;
    // Compare against every entry so timing does not reveal which one matched.
    for (const entry of this.#entries) if (timingSafeEqual(entry.digest, digest)) found = entry.principal;
    if (found === undefined) throw new AccessDeniedError("unauthenticated", "unknown token");
    return found;
  }
}

/** Throws 403 unless `principal` may do `action` on `queue`. Same answer whether the queue exists or not (AZ2). */
export function authorize(principal: Principal, action: "produce" | "consume" | "admin", queue: string): void {
  if (!principal.can(action, queue)) throw new AccessDeniedError("forbidden", `this token may not ${action} on "${queue}"`);
}

function makePrincipal(id: string, perms: TokenPermissions): Principal {
  const admin = perms.admin === true ? ["*"] : perms.admin === false || perms.admin === undefined ? [] : perms.admin;
  const lists = { produce: perms.produce ?? [], consume: perms.consume ?? [], admin };
  return {
    id,
    open: false,
    // Admin implies produce and consume on the same queues.
    can: (action, queue) => matches(lists[action], queue) || (action !== "admin" && matches(lists.admin, queue)),
  };
}

function matches(patterns: readonly string[], queue: string): boolean {
  for (const p of patterns) {
    if (p === "*" || p === queue) return true;
    if (p.endsWith("*") && queue.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
