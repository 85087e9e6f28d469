import fc from "fast-check";
import { Packr, Unpackr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { prescanMsgpack, PrescanError } from "./msgpack-prescan";

// Z6: the pre-scanner never throws anything but PrescanError, accepts exactly the
// allowlist, and msgpackr decodes everything it accepts.
const runs = process.env.MQ_LONG === "1" ? 100_000 : 3_000;
const packr = new Packr({ useRecords: false });
const strict = new Unpackr({ useRecords: false, mapsAsObjects: true });

const plain: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double().filter((d) => !Object.is(d, -0)), // msgpackr writes -0 as the integer 0
    fc.string({ unit: "grapheme-composite" }),
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string().filter((k) => k !== "__proto__"), tie("value"), { maxKeys: 5 }),
  ),
})).value;

function outcome(buf: Uint8Array): "ok" | PrescanError {
  try {
    prescanMsgpack(buf, { maxDepth: 64, maxNodes: 100_000 });
    return "ok";
  } catch (error) {
    if (error instanceof PrescanError) return error;
    throw error;
  }
}

describe("prescanMsgpack (Z6)", () => {
  it("accepts every plain value msgpackr encodes, and msgpackr decodes it back equal", () => {
    fc.assert(
      fc.property(plain, (value) => {
        const buf = packr.pack(value);
        expect(outcome(buf)).toBe("ok");
        expect(strict.unpack(buf)).toEqual(value);
      }),
      { numRuns: runs },
    );
  });

  it("never throws anything but PrescanError on random bytes, and msgpackr decodes whatever it accepts", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const result = outcome(bytes);
        if (result === "ok") expect(() => void strict.unpack(bytes)).not.toThrow();
      }),
      { numRuns: runs },
    );
  });

  it("never throws anything but PrescanError on mutated valid bodies", () => {
    fc.assert(
      fc.property(plain, fc.nat(), fc.integer({ min: 0, max: 255 }), (value, at, byte) => {
        const buf = Buffer.from(packr.pack(value));
        buf[at % buf.length] = byte;
        const result = outcome(buf);
        if (result === "ok") expect(() => void strict.unpack(buf)).not.toThrow();
      }),
      { numRuns: runs },
    );
  });

  it("accepts dates as the standard timestamp extension", () => {
    expect(outcome(packr.pack({ at: new Date(1_700_000_000_123) }))).toBe("ok");
  });

  it.each([
    ["a record definition", new Packr({ useRecords: true }).pack([{ a: 1 }, { a: 2 }])],
    ["a Set", new Packr({ useRecords: false, moreTypes: true }).pack(new Set([1]))],
    ["a BigInt above 2^53", new Packr({ useRecords: false, useBigIntExtension: true }).pack(2n ** 60n)],
    ["a typed array", new Packr({ useRecords: false, moreTypes: true }).pack(new Float64Array([1, 2]))],
    ["an Error", new Packr({ useRecords: false, moreTypes: true }).pack(new Error("x"))],
    ["a RegExp", new Packr({ useRecords: false, moreTypes: true }).pack(/x/)],
    ["a non-string map key", Buffer.from([0x81, 0x01, 0x02])],
    ["a __proto__ key", Buffer.concat([Buffer.from([0x81, 0xa9]), Buffer.from("__proto__"), Buffer.from([0x01])])],
    ["the never-used byte 0xc1", Buffer.from([0xc1])],
    ["an unknown fixext", Buffer.from([0xd4, 0x05, 0x00])],
  ])("refuses %s", (_name, buf) => {
    const result = outcome(buf);
    expect(result).toBeInstanceOf(PrescanError);
    expect((result as PrescanError).problem).toBe("unsupported-type");
  });

  it.each([
    ["an array32 declaring 2^32-1 items", Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])],
    ["a str32 past the end", Buffer.from([0xdb, 0x00, 0x10, 0x00, 0x00, 0x61])],
    ["a bin32 past the end", Buffer.from([0xc6, 0x7f, 0xff, 0xff, 0xff])],
    ["trailing bytes", Buffer.from([0xc0, 0xc0])],
    ["an empty body", Buffer.alloc(0)],
    ["invalid UTF-8", Buffer.from([0xa2, 0xc3, 0x28])],
  ])("refuses %s as malformed", (_name, buf) => {
    expect((outcome(buf) as PrescanError).problem).toBe("malformed");
  });

  it("bounds depth without recursion (200,000 nested arrays) and node counts (1 MiB of empty maps)", () => {
    const deep = Buffer.alloc(200_001, 0x91);
    deep[200_000] = 0xc0;
    expect((outcome(deep) as PrescanError).problem).toBe("too-deep");
    const wide = Buffer.alloc(1 + 4 + 1024 * 1024, 0x80);
    wide[0] = 0xdd;
    wide.writeUInt32BE(1024 * 1024, 1);
    expect((outcome(wide) as PrescanError).problem).toBe("too-many-nodes");
  });
});
