import { describe, expect, it } from "vitest";
import { pooledSlope, quantileSorted, Reservoir, summarize } from "./stats";

describe("stats", () => {
  it("summarises with nearest-rank percentiles", () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => 100 - i));
    expect(s).toEqual({ n: 100, min: 1, p50: 50, p90: 90, p99: 99, max: 100 });
    expect(summarize([]).n).toBe(0);
    expect(Number.isNaN(quantileSorted([], 0.5))).toBe(true);
  });

  it("finds growth within generations even when each restart resets the level", () => {
    // Three generations, each starting at 50 and growing 2 per unit of x; a naive fit over all points sees almost nothing.
    const points = [0, 1, 2].flatMap((g) => [0, 1, 2, 3].map((i) => ({ group: g, x: g * 4 + i, y: 50 + 2 * i })));
    expect(pooledSlope(points)).toBeCloseTo(2, 10);
    expect(pooledSlope(points.map((p) => ({ ...p, y: 50 })))).toBe(0);
    expect(pooledSlope([{ group: 1, x: 1, y: 1 }])).toBe(0);
  });

  it("keeps a bounded uniform sample", () => {
    const r = new Reservoir(10, () => 0.999);
    for (let i = 0; i < 1_000; i++) r.add(i);
    expect(r.values()).toHaveLength(10);
    expect(r.seen).toBe(1_000);
    expect(r.values()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
