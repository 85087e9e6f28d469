import { describe, expect, it } from "vitest";
import { MIN_AUTO_PREFETCH, PrefetchDepth, autoPrefetchCeiling } from "./prefetch-depth";

describe("PrefetchDepth", () => {
  it("doubles while slots starve on receives that come back full, up to the ceiling", () => {
    const depth = new PrefetchDepth("auto");
    const seen: number[] = [depth.value];
    for (let round = 0; round < 10; round++) {
      depth.starved();
      depth.receiveEnded(true, 0, 32);
      seen.push(depth.value);
    }
    expect(seen).toEqual([8, 16, 32, 64, 128, 256, 256, 256, 256, 256, 256]);
    expect(autoPrefetchCeiling(32)).toBe(256);
  });

  it("does not grow when the queue ran dry (a short receive is not starvation)", () => {
    const depth = new PrefetchDepth("auto");
    depth.starved();
    depth.receiveEnded(false, 0, 32);
    expect(depth.value).toBe(MIN_AUTO_PREFETCH);
  });

  it("shrinks slowly to the floor when most of what it holds sits untouched", () => {
    const depth = new PrefetchDepth("auto");
    for (let i = 0; i < 5; i++) {
      depth.starved();
      depth.receiveEnded(true, 0, 64);
    }
    expect(depth.value).toBe(256);
    depth.receiveEnded(true, 200, 64);
    expect(depth.value).toBe(224);
    for (let i = 0; i < 100; i++) depth.receiveEnded(true, depth.value, 64);
    expect(depth.value).toBe(MIN_AUTO_PREFETCH);
  });

  it("stays bounded: at most 1,024, at least 64 for the ceiling, and clamps on a scale down", () => {
    expect(autoPrefetchCeiling(1)).toBe(64);
    expect(autoPrefetchCeiling(10_000)).toBe(1_024);
    const depth = new PrefetchDepth("auto");
    for (let i = 0; i < 20; i++) {
      depth.starved();
      depth.receiveEnded(true, 0, 512);
    }
    expect(depth.value).toBe(1_024);
    depth.rescale(2);
    expect(depth.value).toBe(64);
  });

  it("never moves a fixed prefetch", () => {
    const depth = new PrefetchDepth(3);
    depth.starved();
    depth.receiveEnded(true, 0, 32);
    depth.rescale(1);
    expect([depth.value, depth.adaptive]).toEqual([3, false]);
  });
});
