import type { DeadLetter, DeadLetterFilter, Message } from "@mq/core";

/**
 * The obvious implementation of a dead-letter store: an array in insertion
 * order, scanned for everything. Property tests check DeadLetterStore against it.
 */
export class ReferenceModel {
  entries: { seq: number; letter: DeadLetter }[] = [];
  nextSeq = 1;
  dropped = 0;

  constructor(readonly maxEntries: number) {}

  add(letter: DeadLetter): DeadLetter | undefined {
    this.remove(letter.message.id);
    this.entries.push({ seq: this.nextSeq++, letter });
    if (this.entries.length <= this.maxEntries) return undefined;
    this.dropped++;
    return this.entries.shift()!.letter;
  }

  remove(id: string): boolean {
    const i = this.entries.findIndex((e) => e.letter.message.id === id);
    if (i < 0) return false;
    this.entries.splice(i, 1);
    return true;
  }

  take(target: string | DeadLetterFilter): Message[] {
    const hit = this.entries.filter((e) => (typeof target === "string" ? e.letter.message.id === target : matches(e.letter, target)));
    this.entries = this.entries.filter((e) => !hit.includes(e));
    return hit.map((e) => ({ ...e.letter.message, attempts: 0 }));
  }

  purge(filter?: DeadLetterFilter): number {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !matches(e.letter, filter ?? {}));
    return before - this.entries.length;
  }

  count(filter?: DeadLetterFilter): number {
    return this.entries.filter((e) => matches(e.letter, filter ?? {})).length;
  }

  /** The page after sequence number `after`, and the seq to resume after when more follow. */
  page(filter: DeadLetterFilter, limit: number, after: number): { items: DeadLetter[]; resumeAfter?: number } {
    const rest = this.entries.filter((e) => e.seq > after && matches(e.letter, filter));
    const page = rest.slice(0, limit);
    const items = page.map((e) => e.letter);
    return rest.length > limit ? { items, resumeAfter: page[page.length - 1]!.seq } : { items };
  }
}

function matches(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  return (filter.queue === undefined || letter.queue === filter.queue) && (filter.reason === undefined || letter.reason === filter.reason);
}
