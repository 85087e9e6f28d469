/**
 * A latency histogram in the HdrHistogram style: values in microseconds are
 * counted in log-linear buckets (16 linear sub-buckets per power of two, so
 * any reported value is within ~6% of the true one). Recording is two integer
 * ops and an array increment; memory is fixed (a few KiB) whatever the load.
 */
export class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  #count = 0;
  #sumUs = 0;
  #maxUs = 0;

  /** Records one duration in milliseconds (negative values count as 0; beyond ~71 minutes they clamp). */
  record(ms: number): void {
    const us = ms > 0 ? Math.min(Math.round(ms * 1000), MAX_US) : 0;
    this.#counts[bucketOf(us)]!++;
    this.#count++;
    this.#sumUs += us;
    if (us > this.#maxUs) this.#maxUs = us;
  }

  /** Adds every count of `other` into this one. */
  merge(other: LatencyHistogram): void {
    const counts = other.#counts;
    for (let i = 0; i < BUCKETS; i++) this.#counts[i]! += counts[i]!;
    this.#count += other.#count;
    this.#sumUs += other.#sumUs;
    if (other.#maxUs > this.#maxUs) this.#maxUs = other.#maxUs;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sumUs = 0;
    this.#maxUs = 0;
  }

  get count(): number {
    return this.#count;
  }

  /** Largest value recorded, in ms (exact). */
  get maxMs(): number {
    return this.#maxUs / 1000;
  }

  get meanMs(): number {
    return this.#count === 0 ? 0 : this.#sumUs / this.#count / 1000;
  }

  /** The value at quantile `q` (0..1) in ms: the upper edge of its bucket, never above the max. */
  quantileMs(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(upperEdgeOf(i), this.#maxUs) / 1000;
    }
    return this.#maxUs / 1000;
  }

  /** Count, mean, p50/p95/p99 and max in one object. */
  summary(): LatencySummary {
    return { count: this.#count, meanMs: round3(this.meanMs), p50Ms: this.quantileMs(0.5), p95Ms: this.quantileMs(0.95), p99Ms: this.quantileMs(0.99), maxMs: this.maxMs };
  }
}

/** Percentiles of one latency, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

// ---------------------------------------------------------------------------

const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
const MAX_US = 2 ** 32 - 1;
/** Values below SUB are exact; each power of two above gets SUB buckets. */
const BUCKETS = (32 - SUB_BITS + 1) * SUB;

function bucketOf(us: number): number {
  if (us < SUB) return us;
  const exp = 31 - Math.clz32(us); // floor(log2(us)), >= SUB_BITS
  const sub = (us >>> (exp - SUB_BITS)) & (SUB - 1);
  return (exp - SUB_BITS + 1) * SUB + sub;
}

function upperEdgeOf(bucket: number): number {
  if (bucket < SUB) return bucket;
  const exp = Math.floor(bucket / SUB) + SUB_BITS - 1;
  const sub = bucket % SUB;
  const width = 2 ** (exp - SUB_BITS);
  return (SUB + sub + 1) * width - 1;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
