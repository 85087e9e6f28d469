import { createHash, timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
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
  #entries: { digest: Buffer; principal: Principal }[] = [];
  readonly #byCertificate: ReadonlyMap<string, Principal>;

  /**
   * @param certificates - A7: permissions by client-certificate name (subject CN,
   *   or a SAN entry such as `DNS:worker.internal` / `URI:spiffe://…`), used for
   *   requests without an `Authorization` header on a TLS socket whose certificate
   *   the server verified.
   */
  constructor(tokens: Readonly<Record<string, TokenPermissions>> | undefined, certificates: Readonly<Record<string, TokenPermissions>> = {}) {
    this.#byCertificate = new Map(Object.entries(certificates).map(([name, perms]) => [name, makePrincipal(`cert-${sha256(name).toString("hex").slice(0, 12)}`, perms)]));
    this.replace(tokens);
  }

  /**
   * Swaps the whole table at once (A4: revocation without a restart). The
   * next request is checked against the new table; callers holding a
   * principal (WebSockets) re-check it with {@link current}.
   */
  replace(tokens: Readonly<Record<string, TokenPermissions>> | undefined): void {
    this.#entries = Object.entries(tokens ?? {}).map(([token, perms]) => {
      const digest = sha256(token);
      return { digest, principal: makePrincipal(digest.toString("hex").slice(0, 12), perms) };
    });
  }

  /** The principal now held by the token `previous` came from, or undefined when that token was revoked. */
  current(previous: Principal): Principal | undefined {
    if (previous.open) return this.open ? previous : undefined;
    if (previous.id.startsWith("cert-")) return previous;
    return this.#entries.find((e) => e.principal.id === previous.id)?.principal;
  }

  /** True when no tokens are configured (loopback-only open mode). */
  get open(): boolean {
    return this.#entries.length === 0 && this.#byCertificate.size === 0;
  }

  /**
   * The principal for an `Authorization` header value or, without one, for the
   * verified client certificate on `socket`; throws 401 when missing or unknown.
   */
  authenticate(header: string | undefined, socket?: Socket): Principal {
    if (this.open) return OPEN;
    if ((header === undefined || header === "") && socket !== undefined && this.#byCertificate.size > 0) {
      const fromCertificate = this.#certificatePrincipal(socket);
      if (fromCertificate !== undefined) return fromCertificate;
    }
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

  // Only a certificate the TLS layer verified against `tls.ca` counts; the subject CN first, then SAN entries.
  #certificatePrincipal(socket: Socket): Principal | undefined {
    const tls = socket as Partial<TLSSocket>;
    if (tls.authorized !== true || typeof tls.getPeerCertificate !== "function") return undefined;
    const cert = tls.getPeerCertificate();
    const cn = cert.subject?.CN;
    const names = [...(typeof cn === "string" ? [cn] : []), ...(cert.subjectaltname ?? "").split(/,\s*/).filter((n) => n !== "")];
    for (const name of names) {
      const principal = this.#byCertificate.get(name);
      if (principal !== undefined) return principal;
    }
    return undefined;
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
