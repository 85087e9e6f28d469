import type { QueueHost } from "@mq/host";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Principal, TokenTable } from "./auth";
import type { CursorSigner } from "./cursors";
import type { ResolvedServerOptions } from "./options";
import type { RateLimiter } from "./rate-limiter";
import type { ReceiptSigner } from "./receipts";
import type { Schemas } from "./validation";

/** What every route module gets: the host, the resolved options and the shared security parts. */
export interface ServerContext {
  readonly host: QueueHost;
  readonly options: ResolvedServerOptions;
  readonly schemas: Schemas;
  readonly tokens: TokenTable;
  readonly limiter: RateLimiter;
  readonly signer: ReceiptSigner;
  /** MACs dead-letter cursors (DS15). */
  readonly cursors: CursorSigner;
  /** Aborted when the server starts closing: long polls answer at once. */
  readonly closing: AbortSignal;
  /** Counts concurrent long polls per principal (DS6). */
  readonly longPolls: Map<string, number>;
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal;
    /** Set when the request body was msgpack, so sizes can be checked on the raw bytes. */
    bodyBytes: number;
    /** Numeric outcome of an audited action (e.g. `{ purged: 3 }`), for the audit event. */
    auditResult: Record<string, unknown> | undefined;
  }
}

/** The principal of an authenticated request. */
export function principalOf(req: FastifyRequest): Principal {
  return req.principal;
}

/** An AbortSignal that fires when the client goes away or the server closes. */
export function requestSignal(reply: FastifyReply, closing: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const onClose = (): void => {
    if (!reply.raw.writableFinished) controller.abort(new Error("client disconnected"));
  };
  reply.raw.once("close", onClose);
  return AbortSignal.any([controller.signal, closing]);
}
