import { InvalidArgumentError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { DedupIndex } from "./dedup-index";
import type { DedupSnapshot } from "./types";

const T0 = 1_700_000_000_000;

function populated(): DedupIndex {
  const index = new DedupIndex();
  index.accept("r1", { messageId: "m1", version: 4, mode: "replace", now: T0 });
  index.accept("r2", { messageId: "m2", version: 1, mode: "replace", now: T0 + 1 });
  index.markInFlight("r2", "m2");
  index.accept("d1", { messageId: "m3", version: 1, mode: "drop", windowMs: 50, now: T0 + 2 });
  index.accept("d2", { messageId: "m4", version: 2, mode: "drop", windowMs: 500, now: T0 + 3 });
  index.accept("d3", { messageId: "m5", version: 1, mode: "drop", windowMs: 50, now: T0 + 4 });
  index.release("d3", "m5", T0 + 5);
  index.accept("d1", { messageId: "m6", version: 1, mode: "drop", windowMs: 50, now: T0 + 6 }); // d1 moves behind d3
  return index;
}

describe("snapshot/restore", () => {
  it("round-trips exactly through structuredClone", () => {
    const index = populated();
    const snap = index.snapshot();
    const copy = structuredClone(snap);
    const restored = new DedupIndex();
    restored.restore(copy);
    expect(restored.snapshot()).toEqual(snap);
    expect(restored.size).toBe(index.size);
    for (const key of ["r1", "r2", "d1", "d2", "d3"]) expect(restored.get(key)).toEqual(index.get(key));
  });

  it("is plain data: also survives JSON", () => {
    const snap = populated().snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });

  it("keeps the acceptance order, so the restored index sweeps the same entries", () => {
    const index = populated();
    const restored = new DedupIndex();
    restored.restore(structuredClone(index.snapshot()));
    for (const now of [T0 + 53, T0 + 54, T0 + 56, T0 + 503]) {
      expect(restored.sweep(now)).toBe(index.sweep(now));
      expect(restored.snapshot()).toEqual(index.snapshot());
    }
  });

  it("decides the same after restore", () => {
    const index = populated();
    const restored = new DedupIndex();
    restored.restore(index.snapshot());
    for (const key of ["r1", "r2", "d1", "d2", "d3", "zz"]) {
      for (const mode of ["replace", "drop"] as const) {
        const opts = { mode, windowMs: 50, now: T0 + 30 };
        expect(restored.decide(key, opts)).toEqual(index.decide(key, opts));
      }
    }
  });

  it("replaces existing state", () => {
    const restored = new DedupIndex();
    restored.accept("other", { messageId: "x", version: 1, mode: "replace", now: T0 });
    restored.restore({ format: 1, entries: [] });
    expect(restored.size).toBe(0);
  });

  it("rejects a malformed snapshot and leaves the index unchanged", () => {
    const index = populated();
    const before = index.snapshot();
    const bad: unknown[] = [
      null,
      { format: 2, entries: [] },
      { format: 1, entries: [["k", "m", 1, "pending", "replace", T0]] },
      { format: 1, entries: [["k", "m", 0, "pending", "replace", T0, null]] },
      { format: 1, entries: [["k", "m", 1, "released", "replace", T0, null]] },
      { format: 1, entries: [["k", "m", 1, "pending", "drop", T0, null]] },
      { format: 1, entries: [["k", "m", 1, "pending", "replace", T0, null], ["k", "n", 1, "pending", "replace", T0, null]] },
    ];
    for (const snap of bad) expect(() => index.restore(snap as DedupSnapshot)).toThrow(InvalidArgumentError);
    expect(index.snapshot()).toEqual(before);
  });
});
