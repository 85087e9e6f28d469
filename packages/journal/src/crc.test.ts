import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CRC32_IMPLEMENTATION, crc32 } from "./crc";
import { crc32Js } from "./crc-js";

describe("crc32", () => {
  it("uses the native package where it loads (it does on the CI machine kind)", () => {
    expect(CRC32_IMPLEMENTATION).toBe(process.platform === "linux" && process.arch === "x64" ? "@node-rs/crc32" : expect.any(String));
  });

  // The JavaScript fallback (Node 20 before 20.15 without the native binary) must agree too.
  for (const [name, impl] of [["in use", crc32], ["javascript fallback", crc32Js]] as const) {
    it(`${name}: is the zlib CRC-32 for every size and alignment, and continues like it`, () => {
      const bytes = new Uint8Array(70_000).map((_, i) => (i * 131 + (i >> 5)) & 255);
      for (const size of [0, 1, 7, 8, 9, 16, 255, 256, 280, 4096, 65_537]) {
        for (const offset of [0, 1, 3, 8]) {
          const view = new Uint8Array(bytes.buffer, offset, size);
          expect(impl(view)).toBe(zlibCrc32(view));
          const half = Math.floor(size / 2);
          expect(impl(view.subarray(half), impl(view.subarray(0, half)))).toBe(zlibCrc32(view));
        }
      }
      expect(impl(Buffer.from("123456789"))).toBe(0xcbf43926);
    });
  }
});
