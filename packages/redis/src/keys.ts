import { InvalidArgumentError } from "@mq/core";

// Key layout (see README): every key of one queue starts with its base
// `{prefix:queue}`, so Redis Cluster puts them all in one hash slot. The queue
// name is escaped so a `{`, `}` or `%` in it cannot change the hash tag.

const escapeName = (name: string): string => name.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const unescapeName = (text: string): string => text.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

/** Names of the keys and channels of one backend prefix. */
export class KeySpace {
  readonly prefix: string;
  /** Set of every queue name seen. */
  readonly queuesKey: string;
  /** Pub/sub channel carrying the base of a queue that has ready messages (and `~`-prefixed job announcements). */
  readonly readyChannel: string;
  /** Hash tag of the keys that belong to no queue (schedules). */
  readonly globalBase: string;
  /** Set of the queues that keep completions (where `completion(id)` looks). */
  readonly keptKey: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.queuesKey = `{${escapeName(prefix)}}:queues`;
    this.readyChannel = `${prefix}:ready`;
    this.globalBase = `{${escapeName(prefix)}}`;
    this.keptKey = `{${escapeName(prefix)}}:kept`;
  }

  // Bases are built on every call of the hot path; a queue name's escaping is worth keeping (bounded: names are few).
  readonly #bases = new Map<string, string>();

  /** The base (and hash tag) of a queue's keys. */
  base(queue: string): string {
    let base = this.#bases.get(queue);
    if (base === undefined) {
      base = `{${escapeName(this.prefix)}:${escapeName(queue)}}`;
      if (this.#bases.size < 10_000) this.#bases.set(queue, base);
    }
    return base;
  }

  /** The queue a base names, or undefined when it is not one of this prefix. */
  queueOf(base: string): string | undefined {
    const head = `{${escapeName(this.prefix)}:`;
    if (!base.startsWith(head) || !base.endsWith("}")) return undefined;
    return unescapeName(base.slice(head.length, -1));
  }

  /** Set of the queues bound to a topic. */
  bindingKey(topic: string): string {
    return `{${escapeName(this.prefix)}}:bind:${topic}`;
  }
}

/** What a receipt names: the queue, the message and the lease token that fences it. */
export interface ParsedReceipt {
  readonly receipt: string;
  readonly queue: string;
  readonly id: string;
  readonly token: string;
}

/** `r1.<token>.<id>.<queue>`: the token (`<counter>t<redis µs>`) fences the lease. */
export function encodeReceipt(queue: string, id: string, token: string): string {
  return `r1.${token}.${id}.${queue}`;
}

const RECEIPT = /^r1\.([0-9]+t[0-9]+)\.([0-9A-Z]+)\.([\s\S]+)$/;

/** Parses a receipt; undefined for anything this backend never issued. */
export function parseReceipt(receipt: unknown, operation: string): ParsedReceipt | undefined {
  if (typeof receipt !== "string" || receipt.length === 0) throw new InvalidArgumentError(operation, "receipt", "must be the receipt string of a delivery");
  const m = RECEIPT.exec(receipt);
  if (m === null) return undefined;
  return { receipt, token: m[1]!, id: m[2]!, queue: m[3]! };
}

/** Dead-letter cursor: the score and queue of the last letter a page returned. */
export function encodeCursor(score: string, queue: string): string {
  return `rdl1.${score}.${Buffer.from(queue, "utf8").toString("base64url")}`;
}

const CURSOR = /^rdl1\.([0-9]+)\.([A-Za-z0-9_-]*)$/;

export function decodeCursor(cursor: unknown): { score: string; queue: string } {
  const m = typeof cursor === "string" ? CURSOR.exec(cursor) : null;
  if (m === null) throw new InvalidArgumentError("dlq", "cursor", "malformed cursor; pass a `nextCursor` returned by list(), or omit it to start from the oldest");
  return { score: m[1]!, queue: Buffer.from(m[2]!, "base64url").toString("utf8") };
}
