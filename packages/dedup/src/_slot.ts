import type { DedupMode } from "@mq/core";
import type { DedupState } from "./types";

/**
 * The mutable record behind one key. Drop-mode slots are also nodes of an
 * intrusive doubly linked list (one per window length), so moving a key to
 * the tail on re-acceptance and unlinking it on removal are O(1) and cost no
 * extra allocation.
 */
export class Slot {
  key: string;
  messageId: string;
  version: number;
  state: DedupState;
  acceptedAt: number;
  // Mode, window and expiry are not stored: a slot is in drop mode exactly
  // when it is on a list, and the list knows the window. That keeps a slot at
  // eight fields, which matters at millions of keys.
  list: DropList | null = null;
  prev: Slot | null = null;
  next: Slot | null = null;

  constructor(key: string, messageId: string, version: number, acceptedAt: number) {
    this.key = key;
    this.messageId = messageId;
    this.version = version;
    this.state = "pending";
    this.acceptedAt = acceptedAt;
  }

  get mode(): DedupMode {
    return this.list === null ? "replace" : "drop";
  }

  /** `acceptedAt + windowMs` in drop mode; Infinity in replace mode, which never ages out. */
  get expiresAt(): number {
    return this.list === null ? Infinity : this.acceptedAt + this.list.windowMs;
  }
}

/**
 * Drop-mode slots sharing one window length, in acceptance order. With a
 * fixed window and non-decreasing `now`, that is also expiry order, so a
 * sweep stops at the first live head and never scans live entries. (A window
 * per list, rather than one list, because queues have different windows.)
 */
export class DropList {
  readonly windowMs: number;
  head: Slot | null = null;
  tail: Slot | null = null;
  length = 0;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  push(slot: Slot): void {
    slot.list = this;
    slot.prev = this.tail;
    slot.next = null;
    if (this.tail === null) this.head = slot;
    else this.tail.next = slot;
    this.tail = slot;
    this.length++;
  }

  unlink(slot: Slot): void {
    if (slot.prev === null) this.head = slot.next;
    else slot.prev.next = slot.next;
    if (slot.next === null) this.tail = slot.prev;
    else slot.next.prev = slot.prev;
    slot.list = null;
    slot.prev = null;
    slot.next = null;
    this.length--;
  }
}
