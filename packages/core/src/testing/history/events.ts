/**
 * The event log a chaos or soak harness writes while it drives a queue, and the
 * history checker reads (reliability-anchors §6.1). One JSON line per event,
 * one file per process, merged by the monotonic timestamp `t`.
 *
 * Ops are correlated by a caller-chosen id: `op` (enqueue), `rop` (receive),
 * `aop` (ack); `ext.*` and `nack.*` are correlated by `receipt` (the next
 * settle line after an invoke for that receipt belongs to it). Every `invoke`
 * is written BEFORE the operation is called; `ok`/`fail`/`info` after it settles.
 * An invoke with no settle line (the writer was killed) counts as `info`.
 */

/** Monotonic time in nanoseconds (`process.hrtime.bigint()`), comparable across processes on one boot. */
export type EvTime = bigint;

/** One enqueued (or published) item. `tok` is unique per enqueue call and is also inside the payload. */
export interface EvItem {
  readonly tok: string;
  /** Dedup key. */
  readonly key?: string;
  /** Dedup mode of the destination queue for this key. @default "replace" when `key` is set */
  readonly mode?: "replace" | "drop";
  readonly prio: number;
  readonly delayMs?: number;
  readonly ttlMs?: number;
  /** Destination queue when it differs from the op's queue (ack+publish items always name it). */
  readonly queue?: string;
}

/** The outcome of one item of a settled enqueue (one entry per copy for a topic fan-out). */
export interface EvEnqueueResult {
  readonly tok: string;
  readonly id: string;
  readonly result: "created" | "replaced" | "duplicate";
  readonly version: number;
}

/** One message handed out by a receive. `tok` is read from the payload. */
export interface EvDelivered {
  readonly id: string;
  readonly tok: string;
  readonly version: number;
  readonly attempt: number;
  readonly receipt: string;
  readonly leaseMs: number;
  /** Wall-clock epoch ms (the message's `availableAt`), if it had one. */
  readonly availableAt?: number;
  /** Wall-clock epoch ms (the message's `expiresAt`), if it had one. */
  readonly expiresAt?: number;
}

/** A dead letter as listed after the drain. */
export interface EvDeadLetter {
  readonly id: string;
  readonly tok: string;
  readonly version: number;
  readonly reason: string;
  readonly attempts: number;
}

interface Base {
  readonly t: EvTime;
  /** Wall-clock epoch ms when the line was written (used only for `availableAt`/`expiresAt` checks). */
  readonly wall?: number;
}

/** Every kind of event, as the checker sees it (with `t` parsed to a bigint). */
export type Ev =
  | (Base & { readonly k: "enq.invoke"; readonly op: string; readonly queue: string; readonly items: readonly EvItem[] })
  | (Base & { readonly k: "enq.ok"; readonly op: string; readonly results: readonly EvEnqueueResult[] })
  | (Base & { readonly k: "enq.fail"; readonly op: string; readonly code: string })
  | (Base & { readonly k: "enq.info"; readonly op: string; readonly code?: string })
  | (Base & { readonly k: "recv.invoke"; readonly rop: string; readonly consumer: string; readonly queue: string })
  | (Base & { readonly k: "recv.ok"; readonly rop: string; readonly d: readonly EvDelivered[] })
  | (Base & { readonly k: "recv.fail" | "recv.info"; readonly rop: string; readonly code?: string })
  | (Base & { readonly k: "ext.invoke"; readonly receipt: string; readonly leaseMs: number })
  | (Base & { readonly k: "ext.ok" | "ext.fail" | "ext.info"; readonly receipt: string; readonly code?: string })
  | (Base & { readonly k: "ack.invoke"; readonly aop: string; readonly receipts: readonly string[]; readonly publish?: readonly EvItem[] })
  | (Base & { readonly k: "ack.ok" | "ack.fail" | "ack.info"; readonly aop: string; readonly code?: string })
  | (Base & { readonly k: "nack.invoke"; readonly receipt: string; readonly delayMs?: number; readonly deadLetter?: boolean })
  | (Base & {
      readonly k: "nack.ok";
      readonly receipt: string;
      readonly action?: "retried" | "dead-lettered";
      readonly attempts?: number;
    })
  | (Base & { readonly k: "nack.fail" | "nack.info"; readonly receipt: string; readonly code?: string })
  /** A consumer went away (connection closed); the server may release its leases at once. */
  | (Base & { readonly k: "disconnect"; readonly consumer: string })
  /** Handler-side completion, informational: the handler for this delivery finished (`ok: false` when it threw). */
  | (Base & { readonly k: "handle.done"; readonly id: string; readonly receipt: string; readonly ok: boolean })
  /** The host died (`crash`) or came back (`restart`). Either voids every lease of the previous life. */
  | (Base & { readonly k: "crash" | "restart"; readonly gen: number; readonly recoveryMs?: number })
  | (Base & {
      readonly k: "final";
      readonly dlq: readonly EvDeadLetter[];
      readonly expired: readonly { readonly id: string; readonly tok: string }[];
      /** Ids removed by an admin purge. */
      readonly purged: readonly string[];
      readonly stats: { readonly ready: number; readonly inflight: number; readonly delayed: number };
    });

/** The `k` of every event kind. */
export type EvKind = Ev["k"];

/** The event of kind `K`. */
export type EvOf<K extends EvKind> = Extract<Ev, { k: K }>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as a writer takes it: without `t` (and `wall`), which the writer stamps. */
export type EvInput = DistributiveOmit<Ev, "t" | "wall">;

/** Every event kind, for validation when reading. */
export const EV_KINDS: readonly EvKind[] = [
  "enq.invoke",
  "enq.ok",
  "enq.fail",
  "enq.info",
  "recv.invoke",
  "recv.ok",
  "recv.fail",
  "recv.info",
  "ext.invoke",
  "ext.ok",
  "ext.fail",
  "ext.info",
  "ack.invoke",
  "ack.ok",
  "ack.fail",
  "ack.info",
  "nack.invoke",
  "nack.ok",
  "nack.fail",
  "nack.info",
  "disconnect",
  "handle.done",
  "crash",
  "restart",
  "final",
];
