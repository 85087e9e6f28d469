import { describe, expect, it } from "vitest";
import { InvalidPayloadError } from "./errors/invalid-payload-error";
import { assertValidPayload, MAX_PAYLOAD_DEPTH } from "./payload";

function problem(value: unknown): InvalidPayloadError | undefined {
  try {
    assertValidPayload(value);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidPayloadError);
    return e as InvalidPayloadError;
  }
}

describe("assertValidPayload", () => {
  it("accepts plain data", () => {
    for (const v of [null, undefined, 0, -1.5, Number.NaN, Infinity, 10n, "", "x", true, new Date(), new Uint8Array([1, 2]), [], {}, Object.create(null), { a: [1, { b: "c" }] }]) {
      expect(problem(v)).toBeUndefined();
    }
  });

  it("rejects functions, symbols, class instances, Map and Set with the path of the problem", () => {
    expect(problem(() => 1)?.path).toBe("payload");
    expect(problem({ a: { b: Symbol("s") } })?.path).toBe("payload.a.b");
    expect(problem({ list: [1, new Map()] })?.path).toBe("payload.list[1]");
    expect(problem(new Set())?.message).toContain("Set");
    class Order {}
    expect(problem({ o: new Order() })?.message).toContain("instance of Order");
    expect(problem({ [Symbol("k")]: 1 })?.message).toContain("symbol keys");
  });

  it("rejects a __proto__ own key", () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    expect(problem(parsed)?.path).toBe("payload.__proto__");
  });

  it("rejects cycles but accepts shared references", () => {
    const shared = { x: 1 };
    expect(problem({ a: shared, b: shared })).toBeUndefined();
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    expect(problem(cyclic)?.message).toContain("cycle");
  });

  it("rejects nesting past the limit", () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_PAYLOAD_DEPTH; i++) deep = [deep];
    expect(problem(deep)).toBeUndefined();
    expect(problem([deep])?.message).toContain("deeper than");
  });
});
