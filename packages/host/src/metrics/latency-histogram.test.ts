import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "./latency-histogram";
import { RateWindow } from "./rate-window";
import { WindowedHistogram } from "./windowed-histogram";

describe("LatencyHistogram", () => {
  it("reports percentiles within its bucket precision (~6%) and the exact max", () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 10); // 0.1 .. 1000 ms, uniform
    const s = h.summary();
    expect(s.count).toBe(10_000);
    expect(s.maxMs).toBe(1000);
    for (const [q, want] of [[0.5, 500], [0.95, 950], [0.99, 990]] as const) {
      const got = h.quantileMs(q);
      expect(Math.abs(got - want) / want).toBeLessThan(0.07);
    }
    expect(s.meanMs).toBeCloseTo(500.05, 1);
  });

  it("counts tiny, zero, negative and huge values without throwing", () => {
    const h = new LatencyHistogram();
    for (const v of [0, -5, 0.0004, 0.003, 1e12]) h.record(v);
    expect(h.count).toBe(5);
    expect(h.quantileMs(0.5)).toBeLessThan(0.01);
    expect(h.maxMs).toBeCloseTo((2 ** 32 - 1) / 1000, 0);
  });

  it("merges and resets", () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.record(1);
    b.record(100);
    a.merge(b);
    expect(a.summary()).toMatchObject({ count: 2, maxMs: 100 });
    a.reset();
    expect(a.summary()).toMatchObject({ count: 0, p99Ms: 0, maxMs: 0 });
  });
});

describe("WindowedHistogram", () => {
  it("forgets values older than a minute", () => {
    const w = new WindowedHistogram();
    w.record(0, 500);
    w.record(30_000, 5);
    expect(w.summary(30_000)).toMatchObject({ count: 2, maxMs: 500 });
    expect(w.summary(65_000)).toMatchObject({ count: 1, maxMs: 5 });
    expect(w.summary(200_000).count).toBe(0);
    expect(w.total).toBe(2);
  });
});

describe("RateWindow", () => {
  it("averages per second over the last whole seconds and keeps a series", () => {
    const r = new RateWindow();
    for (let s = 0; s < 10; s++) r.add(1_000_000 + s * 1000, 59);
    expect(r.perSecond(1_010_000)).toBeCloseTo((59 * 10) / 59, 5);
    expect(r.series(1_010_000, 3)).toEqual([59, 59, 59]);
    expect(r.perSecond(1_200_000)).toBe(0);
    expect(r.total).toBe(590);
  });
});
