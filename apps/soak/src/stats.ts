/** The q-quantile (0..1) of already sorted numbers, by nearest rank; NaN when empty. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Min, p50, p90, p99 and max of a sample (all NaN when empty). */
export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Summarises a sample of numbers. */
export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, min: s[0] ?? Number.NaN, p50: quantileSorted(s, 0.5), p90: quantileSorted(s, 0.9), p99: quantileSorted(s, 0.99), max: s.at(-1) ?? Number.NaN };
}

/** A point of a series that restarts in groups (one group per process generation). */
export interface GroupedPoint {
  readonly group: number;
  readonly x: number;
  readonly y: number;
}

/**
 * Least-squares slope dy/dx shared by every group, each group with its own
 * intercept (a fixed-effects fit). A heap that restarts with each process
 * generation still shows a leak as growth within generations; 0 when there is
 * nothing to fit.
 */
export function pooledSlope(points: readonly GroupedPoint[]): number {
  const groups = new Map<number, GroupedPoint[]>();
  for (const p of points) {
    let g = groups.get(p.group);
    if (g === undefined) groups.set(p.group, (g = []));
    g.push(p);
  }
  let sxy = 0;
  let sxx = 0;
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    const mx = g.reduce((a, p) => a + p.x, 0) / g.length;
    const my = g.reduce((a, p) => a + p.y, 0) / g.length;
    for (const p of g) {
      sxy += (p.x - mx) * (p.y - my);
      sxx += (p.x - mx) ** 2;
    }
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/** Keeps a uniform random sample of at most `size` values (reservoir sampling). */
export class Reservoir {
  readonly #size: number;
  readonly #values: number[] = [];
  readonly #random: () => number;
  #seen = 0;

  constructor(size: number, random: () => number = Math.random) {
    this.#size = size;
    this.#random = random;
  }

  add(value: number): void {
    this.#seen++;
    if (this.#values.length < this.#size) this.#values.push(value);
    else {
      const j = Math.floor(this.#random() * this.#seen);
      if (j < this.#size) this.#values[j] = value;
    }
  }

  /** The sample (a copy). */
  values(): number[] {
    return [...this.#values];
  }

  /** How many values were offered. */
  get seen(): number {
    return this.#seen;
  }
}
