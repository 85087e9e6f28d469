import { describe, expect, it } from "vitest";
import { computeBackoff } from "./backoff";
import { resolveBackoff } from "./handler-options";

describe("computeBackoff", () => {
  it("returns the fixed delay for every attempt", () => {
    const policy = resolveBackoff(250);
    expect([1, 2, 5, 50].map((a) => computeBackoff(policy, a))).toEqual([250, 250, 250, 250]);
  });

  it("doubles from baseMs and caps at maxMs without jitter", () => {
    const policy = resolveBackoff({ type: "exponential", baseMs: 100, maxMs: 1_000, jitter: false });
    expect([1, 2, 3, 4, 5, 6, 1_000_000].map((a) => computeBackoff(policy, a))).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it("jitters within the upper half of the nominal delay, deterministically for a given random source", () => {
    const policy = resolveBackoff({ type: "exponential", baseMs: 100, maxMs: 10_000, jitter: true });
    expect(computeBackoff(policy, 3, () => 0)).toBe(200);
    expect(computeBackoff(policy, 3, () => 0.5)).toBe(300);
    expect(computeBackoff(policy, 3, () => 0.999_999)).toBe(400);
    for (let i = 0; i < 100; i++) {
      const delay = computeBackoff(policy, 4);
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(800);
    }
  });

  it("never exceeds maxMs even with jitter", () => {
    const policy = resolveBackoff({ type: "exponential", baseMs: 1_000, maxMs: 5_000, jitter: true });
    expect(computeBackoff(policy, 30, () => 0.999_999)).toBeLessThanOrEqual(5_000);
  });

  it("a zero delay stays zero", () => {
    expect(computeBackoff(resolveBackoff(0), 7, () => 0.9)).toBe(0);
  });
});
