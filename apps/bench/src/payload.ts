/** What every benchmark message carries: its index, its enqueue time and filler up to 256 bytes. */
export interface BenchPayload {
  /** Index within the workload. */
  readonly i: number;
  /** `performance.now()` when the producer called enqueue (latency workload), else 0. */
  readonly t: number;
  readonly body: string;
}

/** Bytes each payload takes once encoded (JSON for BullMQ; msgpack for @mq is a few bytes smaller). */
export const PAYLOAD_BYTES = 256;

// `{"i":12345,"t":123456.789012,"body":"…"}` has ~40 bytes of structure.
const FILLER = "x".repeat(PAYLOAD_BYTES - 40);

/** A 256-byte payload (±4 bytes with the digits of `i` and `t`). */
export function makePayload(i: number, t = 0): BenchPayload {
  return { i, t, body: FILLER };
}
