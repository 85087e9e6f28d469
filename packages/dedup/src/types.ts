import type { DedupMode } from "@mq/core";

/** What a new message with a key should do: be created, replace the pending message in place, or be dropped as a duplicate. */
export type DedupAction = "create" | "replace" | "duplicate";

/** Lifecycle of the message a key points to, as far as dedup cares. */
export type DedupState = "pending" | "in-flight" | "released";

/** The outcome of {@link DedupIndex.decide}. */
export interface DedupDecision {
  readonly action: DedupAction;
  /** The existing message id, for `replace` and `duplicate`; absent for `create`. */
  readonly messageId?: string;
  /** The version the message will have (`create`, `replace`) or has (`duplicate`). */
  readonly version: number;
}

/** A copy of one key's entry, as returned by {@link DedupIndex.get}. */
export interface DedupEntry {
  readonly key: string;
  readonly messageId: string;
  readonly version: number;
  readonly state: DedupState;
  readonly mode: DedupMode;
  /** Wall-clock epoch ms at which the current message was accepted. */
  readonly acceptedAt: number;
  /** Drop mode only: epoch ms at which the entry ages out (`acceptedAt + windowMs`). */
  readonly expiresAt?: number;
}

/** Options of the {@link DedupIndex} constructor. */
export interface DedupIndexOptions {
  /**
   * Hard bound on entries. When a new key would exceed it, drop-mode entries
   * past their window are swept first; if none can go, `DedupIndexFullError`.
   * @default Infinity
   */
  readonly maxEntries?: number;
}

/** Options of {@link DedupIndex.decide}. */
export interface DedupDecideOptions {
  readonly mode: DedupMode;
  /** Drop mode: how long after a key's last accepted message a repeat is a duplicate. Ignored in replace mode. */
  readonly windowMs: number;
  /** Wall-clock epoch ms of the call, taken from the journal on replay. */
  readonly now: number;
  /** Optimistic concurrency: the version the caller believes the key is at; 0 means "must not exist". */
  readonly expectedVersion?: number;
}

/** What {@link DedupIndex.accept} records: a created or replaced message, now pending. */
export interface DedupAcceptEntry {
  readonly messageId: string;
  readonly version: number;
  readonly mode: DedupMode;
  /** Wall-clock epoch ms of the call. */
  readonly now: number;
  /** Required in drop mode: the entry ages out at `now + windowMs`. */
  readonly windowMs?: number;
}

/** One entry in a snapshot: `[key, messageId, version, state, mode, acceptedAt, windowMs (null in replace mode)]`. */
export type DedupSnapshotEntry = [
  key: string,
  messageId: string,
  version: number,
  state: DedupState,
  mode: DedupMode,
  acceptedAt: number,
  windowMs: number | null,
];

/** Plain, msgpack-encodable state of a {@link DedupIndex}; drop entries appear in acceptance order. */
export interface DedupSnapshot {
  readonly format: 1;
  readonly entries: DedupSnapshotEntry[];
}
