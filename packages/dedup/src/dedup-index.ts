import { InvalidArgumentError, InvalidOptionsError, VersionConflictError } from "@mq/core";
import { DropList, Slot } from "./_slot";
import { fromSnapshotEntry, readSnapshot, SNAPSHOT_FORMAT, toSnapshotEntry } from "./_snapshot";
import { checkKey, checkMessageId, checkMode, checkTime, checkVersion, checkWindow } from "./_validate";
import { DedupIndexFullError } from "./dedup-index-full-error";
import type {
  DedupAcceptEntry,
  DedupDecideOptions,
  DedupDecision,
  DedupEntry,
  DedupIndexOptions,
  DedupSnapshot,
  DedupSnapshotEntry,
} from "./types";

/**
 * Expired drop entries removed by each `accept` into a window's list. Two per
 * accept outpaces the one entry each accept adds, so a list never holds more
 * than its live entries plus a small constant, without a timer.
 */
const SWEEP_PER_ACCEPT = 2;

/**
 * Key → (message id, version, state, mode, acceptedAt) index implementing the
 * replace and drop dedup modes with optimistic versions. Pure in-memory state:
 * every time is passed in as `now`, so replaying the same calls reaches the
 * same state.
 *
 * @remarks Keys are opaque (the engine scopes them per queue). The index does
 * not store messages or decide delivery; it only answers what a keyed enqueue
 * should do and tracks the state of the message each key points to.
 */
export class DedupIndex {
  readonly #slots = new Map<string, Slot>();
  /** Drop-mode slots, one acceptance-ordered list per window length. */
  readonly #lists = new Map<number, DropList>();
  readonly #maxEntries: number;

  constructor(options: DedupIndexOptions = {}) {
    const max = options.maxEntries ?? Infinity;
    if (typeof max !== "number" || !(max === Infinity || (Number.isSafeInteger(max) && max >= 1))) {
      throw new InvalidOptionsError("dedup", [{ path: "maxEntries", message: "must be an integer >= 1 or Infinity" }]);
    }
    this.#maxEntries = max;
  }

  /** The resolved entry bound (Infinity when unbounded). */
  get maxEntries(): number {
    return this.#maxEntries;
  }

  /** Number of stored entries, including drop entries past their window that no sweep has reached yet. */
  get size(): number {
    return this.#slots.size;
  }

  /**
   * Says what a new message with `key` should do; changes nothing observable.
   * Throws `VersionConflictError` when `expectedVersion` is given and differs
   * from the current version (0 when the key has no live entry), and
   * `DedupIndexFullError` when a new key would exceed `maxEntries` even after
   * sweeping aged-out entries (the only case in which it removes anything).
   */
  decide(key: string, options: DedupDecideOptions): DedupDecision {
    checkKey(key);
    const { mode, windowMs, now, expectedVersion } = options;
    checkMode(mode);
    checkTime(now, "now");
    if (mode === "drop") checkWindow(windowMs);
    const slot = this.#live(key, now);
    if (expectedVersion !== undefined) {
      checkVersion(expectedVersion, "expectedVersion", 0);
      const actual = slot === undefined ? 0 : slot.version;
      if (expectedVersion !== actual) throw new VersionConflictError(key, expectedVersion, actual);
    }
    if (slot === undefined) {
      this.#ensureRoom(key, now);
      return { action: "create", version: 1 };
    }
    if (mode === "drop") {
      // The window passed here is the queue's current one; an entry's own
      // expiresAt already bounds it, so a shortened window applies at once.
      if (now - slot.acceptedAt < windowMs) return { action: "duplicate", messageId: slot.messageId, version: slot.version };
      return { action: "create", version: slot.version + 1 };
    }
    if (slot.state === "pending") return { action: "replace", messageId: slot.messageId, version: slot.version + 1 };
    // In flight (or gone): the running delivery keeps its message; K moves to a new one.
    return { action: "create", version: slot.version + 1 };
  }

  /**
   * Records a created or replaced message as `pending` under `key`, moving a
   * drop-mode key to the back of its window's acceptance order. `windowMs` is
   * required in drop mode. Throws `DedupIndexFullError` like `decide`.
   */
  accept(key: string, entry: DedupAcceptEntry): void {
    checkKey(key);
    const { messageId, version, mode, now, windowMs } = entry;
    checkMessageId(messageId);
    checkVersion(version, "version", 1);
    checkMode(mode);
    checkTime(now, "now");
    let window = -1; // stays -1 in replace mode
    if (mode === "drop") {
      checkWindow(windowMs);
      window = windowMs;
      const list = this.#lists.get(windowMs);
      if (list !== undefined) this.#sweepList(list, now, SWEEP_PER_ACCEPT);
    }
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      this.#ensureRoom(key, now);
      slot = new Slot(key, messageId, version, now);
      this.#slots.set(key, slot);
    } else {
      const list = slot.list;
      // Staying in the same window's list: unlink without dropping the
      // (possibly now empty) list, which gets the slot back just below.
      if (list !== null && list.windowMs === window) list.unlink(slot);
      else if (list !== null) this.#unlink(slot);
      slot.messageId = messageId;
      slot.version = version;
      slot.state = "pending";
      slot.acceptedAt = now;
    }
    if (window >= 0) this.#listFor(window).push(slot);
  }

  /** Marks the key's message as leased; a no-op unless the key still points to `messageId` and it is pending. */
  markInFlight(key: string, messageId: string): void {
    const slot = this.#slots.get(key);
    if (slot !== undefined && slot.messageId === messageId && slot.state === "pending") slot.state = "in-flight";
  }

  /** Marks the key's leased message as pending (and so replaceable) again; a no-op unless the key still points to `messageId`. */
  markPending(key: string, messageId: string): void {
    const slot = this.#slots.get(key);
    if (slot !== undefined && slot.messageId === messageId && slot.state === "in-flight") slot.state = "pending";
  }

  /**
   * The key's message was acked, dead-lettered or expired. A replace-mode
   * entry is removed; a drop-mode entry becomes `released` and stays until its
   * window passes. A no-op unless the key still points to `messageId`, so
   * settling a superseded message never clears the key's newer entry.
   */
  release(key: string, messageId: string, now: number): void {
    checkTime(now, "now");
    const slot = this.#slots.get(key);
    if (slot === undefined || slot.messageId !== messageId) return;
    if (slot.list === null || now >= slot.expiresAt) this.#remove(slot);
    else slot.state = "released";
  }

  /**
   * A copy of the key's entry, or undefined. With `now`, a drop entry past its
   * window counts as absent (as `decide` sees it); without, it is returned
   * until a sweep removes it.
   */
  get(key: string, now?: number): DedupEntry | undefined {
    const slot = now === undefined ? this.#slots.get(key) : this.#live(key, now);
    if (slot === undefined) return undefined;
    const entry = {
      key: slot.key,
      messageId: slot.messageId,
      version: slot.version,
      state: slot.state,
      mode: slot.mode,
      acceptedAt: slot.acceptedAt,
    };
    return slot.list === null ? entry : { ...entry, expiresAt: slot.expiresAt };
  }

  /**
   * Removes drop-mode entries whose window has passed at `now` and returns how
   * many. Amortized O(1) per removed entry: each window's list is in
   * acceptance order, so the sweep stops at the first live entry.
   */
  sweep(now: number): number {
    checkTime(now, "now");
    let removed = 0;
    for (const list of this.#lists.values()) removed += this.#sweepList(list, now, Infinity);
    return removed;
  }

  /** Plain, msgpack-encodable copy of the whole state; `restore` rebuilds it exactly. */
  snapshot(): DedupSnapshot {
    const entries: DedupSnapshotEntry[] = [];
    for (const slot of this.#slots.values()) if (slot.list === null) entries.push(toSnapshotEntry(slot));
    for (const list of this.#lists.values()) {
      for (let slot = list.head; slot !== null; slot = slot.next) entries.push(toSnapshotEntry(slot));
    }
    return { format: SNAPSHOT_FORMAT, entries };
  }

  /** Replaces the whole state with a snapshot's (not bounded by `maxEntries`); throws `InvalidArgumentError` on a malformed one and then leaves the index unchanged. */
  restore(snapshot: DedupSnapshot): void {
    const raw = readSnapshot(snapshot);
    const slots = new Map<string, Slot>();
    const lists = new Map<number, DropList>();
    const listFor = (windowMs: number): DropList => {
      let list = lists.get(windowMs);
      if (list === undefined) lists.set(windowMs, (list = new DropList(windowMs)));
      return list;
    };
    for (let i = 0; i < raw.length; i++) {
      const slot = fromSnapshotEntry(raw[i], i, listFor);
      if (slots.has(slot.key)) throw new InvalidArgumentError("dedup", `snapshot.entries[${i}]`, "key appears twice");
      slots.set(slot.key, slot);
    }
    this.clear();
    for (const [key, slot] of slots) this.#slots.set(key, slot);
    for (const [windowMs, list] of lists) this.#lists.set(windowMs, list);
  }

  /** Removes every entry. */
  clear(): void {
    this.#slots.clear();
    this.#lists.clear();
  }

  // ---------------------------------------------------------------- private

  /** The key's slot unless it is a drop entry past its window. */
  #live(key: string, now: number): Slot | undefined {
    const slot = this.#slots.get(key);
    return slot === undefined || now >= slot.expiresAt ? undefined : slot;
  }

  #ensureRoom(key: string, now: number): void {
    if (this.#slots.size < this.#maxEntries || this.#slots.has(key)) return;
    this.sweep(now);
    if (this.#slots.size >= this.#maxEntries) throw new DedupIndexFullError(this.#maxEntries);
  }

  #listFor(windowMs: number): DropList {
    let list = this.#lists.get(windowMs);
    if (list === undefined) {
      list = new DropList(windowMs);
      this.#lists.set(windowMs, list);
    }
    return list;
  }

  #sweepList(list: DropList, now: number, budget: number): number {
    let removed = 0;
    while (removed < budget && list.head !== null && now >= list.head.expiresAt) {
      this.#remove(list.head);
      removed++;
    }
    return removed;
  }

  #remove(slot: Slot): void {
    if (slot.list !== null) this.#unlink(slot);
    this.#slots.delete(slot.key);
  }

  #unlink(slot: Slot): void {
    const list = slot.list;
    if (list === null) return;
    list.unlink(slot);
    if (list.length === 0) this.#lists.delete(list.windowMs);
  }
}
