/**
 * Counts events in one-second slots over the last minute, so "per second over
 * the last 60 s" is a sum of 60 integers. Time comes from the caller (the
 * host's clock), which keeps it testable with a manual clock.
 */
export class RateWindow {
  readonly #slots = new Uint32Array(SLOTS);
  /** The second (epoch s) each slot currently counts. */
  readonly #seconds = new Float64Array(SLOTS).fill(-1);
  #total = 0;

  add(nowMs: number, n = 1): void {
    const second = Math.floor(nowMs / 1000);
    const i = slotOf(second);
    if (this.#seconds[i] !== second) {
      this.#seconds[i] = second;
      this.#slots[i] = 0;
    }
    this.#slots[i]! += n;
    this.#total += n;
  }

  /** Events since recording started. */
  get total(): number {
    return this.#total;
  }

  /** Events per second over the last `windowS` whole seconds before the current one (max 59). */
  perSecond(nowMs: number, windowS = SLOTS - 1): number {
    const current = Math.floor(nowMs / 1000);
    const span = Math.min(windowS, SLOTS - 1);
    let sum = 0;
    for (let s = current - span; s < current; s++) {
      const i = slotOf(s);
      if (this.#seconds[i] === s) sum += this.#slots[i]!;
    }
    return sum / span;
  }

  /** Counts of the last `n` whole seconds, oldest first (for charts). */
  series(nowMs: number, n = SLOTS - 1): number[] {
    const current = Math.floor(nowMs / 1000);
    const out: number[] = [];
    for (let s = current - Math.min(n, SLOTS - 1); s < current; s++) {
      const i = slotOf(s);
      out.push(this.#seconds[i] === s ? this.#slots[i]! : 0);
    }
    return out;
  }
}

const SLOTS = 60;

function slotOf(second: number): number {
  return ((second % SLOTS) + SLOTS) % SLOTS;
}
