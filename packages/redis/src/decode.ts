import type { DeadLetter, ErrorInfo, Message, MessageBackoff } from "@mq/core";
import { decodePayload } from "./codec";

/** A script reply element: Buffers from the Buffer variant of a command, strings from its text variant (replies with no payload). */
export type Reply = Buffer | string | null | number | Reply[];

export const str = (r: Reply | undefined): string | undefined =>
  typeof r === "string" ? r : r === null || r === undefined ? undefined : Buffer.isBuffer(r) ? r.toString("utf8") : typeof r === "number" ? String(r) : undefined;
export const num = (r: Reply | undefined): number | undefined => {
  const s = str(r);
  return s === undefined || s === "" ? undefined : Number(s);
};
export const list = (r: Reply | undefined): Reply[] => (Array.isArray(r) ? r : []);

// Field order of `fields()` in the script.
const F = { p: 0, k: 1, v: 2, pr: 3, eq: 4, av: 5, x: 6, a: 7, ts: 8, j: 9, h: 10, rs: 11, err: 12, dat: 13 } as const;

/** The immutable part of a message the client sends as JSON (`j`). */
export interface MessageMeta {
  readonly c?: string;
  readonly z?: string;
  /** The message's own maxAttempts. */
  readonly m?: number;
  /** The message's own backoff. */
  readonly bo?: MessageBackoff;
  /** The message's ordering group. */
  readonly g?: string;
}

/** Builds a {@link Message} from a message hash's fields. */
export function toMessage(queue: string, id: string, f: Reply[]): Message {
  const enqueuedAt = num(f[F.eq]) ?? 0;
  const availableAt = num(f[F.av]);
  const expiresAt = num(f[F.x]);
  const key = str(f[F.k]);
  const meta = JSON.parse(str(f[F.j]) ?? "{}") as MessageMeta;
  const headers = str(f[F.h]);
  const message: { -readonly [K in keyof Message]: Message[K] } = {
    id,
    queue,
    payload: decodePayload(f[F.p] as Buffer),
    version: num(f[F.v]) ?? 1,
    priority: num(f[F.pr]) ?? 0,
    enqueuedAt,
    attempts: num(f[F.a]) ?? 0,
  };
  if (key !== undefined) message.key = key;
  if (availableAt !== undefined && availableAt > enqueuedAt) message.availableAt = availableAt;
  if (expiresAt !== undefined) message.expiresAt = expiresAt;
  if (meta.c !== undefined) message.correlationId = meta.c;
  if (meta.z !== undefined) message.causationId = meta.z;
  if (meta.m !== undefined) message.maxAttempts = meta.m;
  if (meta.bo !== undefined) message.backoff = meta.bo;
  if (meta.g !== undefined) message.group = meta.g;
  if (headers !== undefined && headers !== "") message.headers = JSON.parse(headers) as Record<string, string>;
  return message;
}

/** Builds a {@link DeadLetter} from a dead message hash's fields. */
export function toDeadLetter(queue: string, id: string, f: Reply[]): DeadLetter {
  const err = str(f[F.err]);
  const ts = str(f[F.ts]) ?? "";
  return {
    message: toMessage(queue, id, f),
    queue,
    reason: str(f[F.rs]) ?? "rejected",
    ...(err === undefined || err === "" ? {} : { error: JSON.parse(err) as ErrorInfo }),
    attemptTimestamps: ts === "" ? [] : ts.split(",").map(Number),
    deadLetteredAt: num(f[F.dat]) ?? 0,
  };
}
