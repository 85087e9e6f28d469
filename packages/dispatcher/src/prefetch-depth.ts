/** Least adaptive prefetch: what a slow handler needs, and the old fixed default. */
export const MIN_AUTO_PREFETCH = 8;
/** Most adaptive prefetch, whatever the parallelism. */
export const MAX_AUTO_PREFETCH = 1_024;

/** The highest adaptive prefetch for `parallelism` slots: 8× the slots, at least 64, at most 1,024. */
export function autoPrefetchCeiling(parallelism: number): number {
  return Math.min(MAX_AUTO_PREFETCH, Math.max(64, 8 * parallelism));
}

/**
 * How many deliveries to hold beyond the free slots. A fixed number when the
 * handler gave `prefetch`; otherwise it adapts to what the slots need: a
 * receive costs a round trip (on a durable backend, a group commit on the
 * disk), and the held deliveries must last the slots until the next receive
 * lands. So it doubles whenever a slot sat idle waiting on a receive that then
 * came back full (the queue had more), and shrinks by an eighth when a whole
 * round passed with more than half of it never touched. Fast handlers end up
 * with about (handler rate × receive latency) held; slow ones with the floor.
 */
export class PrefetchDepth {
  readonly #fixed: boolean;
  #value: number;
  #starved = false;

  constructor(option: number | "auto") {
    this.#fixed = option !== "auto";
    this.#value = option === "auto" ? MIN_AUTO_PREFETCH : option;
  }

  /** Deliveries to hold beyond the free slots. */
  get value(): number {
    return this.#value;
  }

  /** True when it adapts (no fixed `prefetch`). */
  get adaptive(): boolean {
    return !this.#fixed;
  }

  /** The pool was scaled: an adaptive depth never exceeds the new ceiling. */
  rescale(parallelism: number): void {
    if (!this.#fixed) this.#value = Math.max(MIN_AUTO_PREFETCH, Math.min(this.#value, autoPrefetchCeiling(parallelism)));
  }

  /** A slot was free with nothing held while a receive was on its way. */
  starved(): void {
    this.#starved = true;
  }

  /**
   * A receive came back. `full`: it got all it asked for (the queue had more);
   * `lowWater`: the fewest deliveries held since the previous receive came back.
   */
  receiveEnded(full: boolean, lowWater: number, parallelism: number): void {
    if (this.#fixed) return;
    const ceiling = autoPrefetchCeiling(parallelism);
    if (this.#starved && full) this.#value = Math.min(ceiling, this.#value * 2);
    else if (!this.#starved && lowWater > this.#value / 2) this.#value = Math.max(MIN_AUTO_PREFETCH, this.#value - Math.ceil(this.#value / 8));
    this.#value = Math.min(this.#value, ceiling); // after a scale down
    this.#starved = false;
  }
}
