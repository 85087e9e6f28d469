import { describe, expect, it } from "vitest";
import { percentile, summarize } from "./stats";

describe("percentile and summarize", () => {
  it("uses the nearest rank", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it("summarizes unsorted samples without changing them", () => {
    const samples = [3, 1, 2];
    expect(summarize(samples)).toEqual({ count: 3, p50: 2, p99: 3, max: 3 });
    expect(samples).toEqual([3, 1, 2]);
  });
});
