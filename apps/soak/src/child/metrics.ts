/** Counters and latency samples of one process, reset at each progress tick. */
export class Metrics {
  enqueued = 0;
  acked = 0;
  nacked = 0;
  e2e: number[] = [];
  enqMs: number[] = [];
  ackMs: number[] = [];

  // A tick carries at most this many samples per series: enough for percentiles, small on stdout.
  static readonly MAX_SAMPLES = 200;

  static push(into: number[], value: number): void {
    if (into.length < Metrics.MAX_SAMPLES) into.push(Math.round(value * 10) / 10);
    else into[Math.floor(Math.random() * into.length)] = Math.round(value * 10) / 10;
  }

  /** The counts since the last call, and a fresh start. */
  take(): { enqueued: number; acked: number; nacked: number; e2e: number[]; enqMs: number[]; ackMs: number[] } {
    const out = { enqueued: this.enqueued, acked: this.acked, nacked: this.nacked, e2e: this.e2e, enqMs: this.enqMs, ackMs: this.ackMs };
    this.enqueued = this.acked = this.nacked = 0;
    this.e2e = [];
    this.enqMs = [];
    this.ackMs = [];
    return out;
  }
}
