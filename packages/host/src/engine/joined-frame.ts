import type { Op } from "./ops";

/**
 * The journal record of a commit that wakes waiting consumers: the leases they
 * take while the commit serves them join it, so a message and its first lease
 * become durable in one record (one fdatasync from enqueue to handler start;
 * recovery sees both or neither). Joiners settle with the record. Nothing is
 * allocated until someone joins.
 */
export class JoinedFrame {
  readonly #first: readonly Op[];
  #ops: Op[] | undefined;
  #done: Promise<number> | undefined;
  #resolve: (lsn: number) => void = noop;
  #reject: (error: unknown) => void = noop;

  constructor(first: readonly Op[]) {
    this.#first = first;
  }

  /** Adds `ops` (already applied) to the record; resolves with its LSN once it is durable. */
  join(ops: readonly Op[]): Promise<number> {
    if (this.#ops === undefined) {
      this.#ops = this.#first.slice();
      this.#done = new Promise<number>((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
    }
    for (const op of ops) this.#ops.push(op);
    return this.#done!;
  }

  /** The record to append: the first commit's ops followed by every joiner's, in apply order. */
  get ops(): readonly Op[] {
    return this.#ops ?? this.#first;
  }

  /** Settles every joiner with the outcome of the record's append. */
  settle(appended: Promise<number>): void {
    if (this.#done !== undefined) appended.then(this.#resolve, this.#reject);
  }

  /** The record was never appended (the engine failed while it was built): every joiner rejects. */
  abandon(error: unknown): void {
    this.#reject(error);
  }
}

const noop = (): void => undefined;
