import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createIdGenerator, idTime } from "./message-id";

describe("createIdGenerator", () => {
  it("makes 26-character ids that sort in creation order within one millisecond", () => {
    const next = createIdGenerator(() => 1_700_000_000_000);
    const ids = Array.from({ length: 10_000 }, () => next());
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.length === 26)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
  });

  it("keeps order across time, even when the wall clock steps back", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5_000, max: 5_000 }), { minLength: 1, maxLength: 200 }), (steps) => {
        let t = 1_700_000_000_000;
        const next = createIdGenerator(() => t);
        const ids: string[] = [];
        for (const s of steps) {
          t += s;
          ids.push(next());
        }
        expect([...ids].sort()).toEqual(ids);
      }),
    );
  });

  it("encodes the millisecond, readable with idTime", () => {
    const next = createIdGenerator(() => 1_712_345_678_901);
    expect(idTime(next())).toBe(1_712_345_678_901);
  });
});
