import { LatencyHistogram, type LatencySummary } from "./latency-histogram";

/**
 * Latency over roughly the last minute: six 10-second histograms in a ring,
 * merged when read. Old slots are reset as time moves on, so a reading shows
 * the recent past, not the whole life of the process.
 */
export class WindowedHistogram {
  readonly #slots: LatencyHistogram[] = Array.from({ length: SLOTS }, () => new LatencyHistogram());
  readonly #epochs = new Float64Array(SLOTS).fill(-1);
  readonly #scratch = new LatencyHistogram();
  #total = 0;

  record(nowMs: number, valueMs: number): void {
    const epoch = Math.floor(nowMs / SLOT_MS);
    const i = ((epoch % SLOTS) + SLOTS) % SLOTS;
    const slot = this.#slots[i]!;
    if (this.#epochs[i] !== epoch) {
      this.#epochs[i] = epoch;
      slot.reset();
    }
    slot.record(valueMs);
    this.#total++;
  }

  /** Values recorded since recording started. */
  get total(): number {
    return this.#total;
  }

  /** Percentiles over the last minute (the current 10-second slot and the five before it). */
  summary(nowMs: number): LatencySummary {
    const epoch = Math.floor(nowMs / SLOT_MS);
    const merged = this.#scratch;
    merged.reset();
    for (let i = 0; i < SLOTS; i++) {
      const e = this.#epochs[i]!;
      if (e > epoch - SLOTS && e <= epoch) merged.merge(this.#slots[i]!);
    }
    return merged.summary();
  }
}

const SLOTS = 6;
const SLOT_MS = 10_000;
