import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { formatToken, tokenDot, tokenGeneration, tokenId } from "./token";

describe("fencing tokens", () => {
  it("round-trips any id and generation, dots and all", () => {
    fc.assert(
      fc.property(fc.string(), fc.nat({ max: Number.MAX_SAFE_INTEGER }), (id, gen) => {
        const token = formatToken(gen, id);
        expect(token).toBe(`${gen.toString(36)}.${id}`);
        expect(tokenId(token)).toBe(id);
        expect(tokenGeneration(token, tokenDot(token))).toBe(gen);
      }),
    );
  });

  it("formats generations around the cached high part exactly", () => {
    for (const gen of [0, 1, 35, 36 ** 5 - 1, 36 ** 5, 36 ** 5 + 1, 2 * 36 ** 5 - 1, 2 ** 47 + 5, 2 ** 47 + 5, 3 * 36 ** 5 + 36, Number.MAX_SAFE_INTEGER]) {
      expect(formatToken(gen, "x")).toBe(`${gen.toString(36)}.x`);
    }
  });

  it("parses the id from the front, so ids may contain dots", () => {
    expect(formatToken(35, "a.b.c")).toBe("z.a.b.c");
    expect(tokenId("z.a.b.c")).toBe("a.b.c");
    expect(tokenId("1.")).toBe("");
  });

  it.each(["", "abc", ".id", "A.id", "01.id", "-1.id", "1_0.id", "zzzzzzzzzzzz.id", "2gosa7pa2gw.id"])("rejects malformed %j", (token) => {
    expect(tokenId(token)).toBeUndefined();
  });

  it("accepts the largest safe generation", () => {
    const token = formatToken(Number.MAX_SAFE_INTEGER, "x");
    expect(tokenGeneration(token, tokenDot(token))).toBe(Number.MAX_SAFE_INTEGER);
  });
});
