/** What every benchmark message carries: its index, its enqueue time and filler up to 256 bytes. */
export interface BenchPayload {
  /** Index within the workload. */
  readonly i: number;
  /** `performance.now()` when the producer called enqueue (latency workload), else 0. */
  readonly t: number;
  readonly body: string;
}

/** Bytes each payload takes as JSON (BullMQ's encoding); @mq's msgpack is about 10 bytes smaller. */
export const PAYLOAD_BYTES = 256;

const fillers = new Map<number, string>();

/** A payload whose JSON is exactly 256 bytes, whatever the digits of `i` and `t`. */
export function makePayload(i: number, t = 0): BenchPayload {
  const structure = `{"i":${i},"t":${t},"body":""}`.length;
  const length = Math.max(0, PAYLOAD_BYTES - structure);
  let body = fillers.get(length);
  if (body === undefined) {
    body = "x".repeat(length);
    fillers.set(length, body);
  }
  return { i, t, body };
}
