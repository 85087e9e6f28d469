import type { Entry } from "./entry";

/**
 * One ordering group of a queue: its messages in delivery order (ready,
 * delayed and in flight alike). Only the head may be delivered, so at most
 * one message of the group is in flight. Removed messages are left as
 * tombstones (`state: "gone"`) and skipped when they reach the head.
 */
export class Group {
  readonly name: string;
  /** Messages of the group not yet removed. */
  live = 0;
  /** The head as currently offered in its queue's priority lane (undefined: not offered). */
  queued: Entry | undefined;
  /** Wall-clock epoch ms until which `throttle()` holds the group back (durable). */
  throttledUntil = 0;
  /** Wall-clock epoch ms until which an empty `groupRateLimit` bucket holds the group back (memory only). */
  parkedUntil = 0;
  readonly #items: Entry[] = [];
  #start = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** The first message not yet removed, or undefined. */
  get head(): Entry | undefined {
    const items = this.#items;
    while (this.#start < items.length && items[this.#start]!.state === "gone") this.#start++;
    // Give the dead prefix back once it is most of the array (amortized O(1) per message).
    if (this.#start > 32 && this.#start * 2 > items.length) {
      items.splice(0, this.#start);
      this.#start = 0;
    }
    return items[this.#start];
  }

  /** Appends a message at the back. */
  push(entry: Entry): void {
    this.#items.push(entry);
  }

  /** Moves `entry` to the back (a failed head under `groupOnFailure: "skip"`). */
  moveToBack(entry: Entry): void {
    if (this.head === entry) this.#start++;
    else {
      const i = this.#items.indexOf(entry, this.#start);
      if (i < 0) return;
      this.#items.splice(i, 1);
    }
    this.#items.push(entry);
  }
}
