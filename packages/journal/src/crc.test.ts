import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CRC32_IMPLEMENTATION, crc32 } from "./crc";

describe("crc32", () => {
  it("uses the native package where it loads (it does on the CI machine kind)", () => {
    expect(CRC32_IMPLEMENTATION).toBe(process.platform === "linux" && process.arch === "x64" ? "@node-rs/crc32" : expect.any(String));
  });

  it("is the zlib CRC-32 for every size and alignment, and continues like it", () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 131 + (i >> 5)) & 255);
    for (const size of [0, 1, 7, 16, 255, 256, 280, 4096, 65_537]) {
      for (const offset of [0, 1, 3, 8]) {
        const view = new Uint8Array(bytes.buffer, offset, size);
        expect(crc32(view)).toBe(zlibCrc32(view));
        const half = Math.floor(size / 2);
        expect(crc32(view.subarray(half), crc32(view.subarray(0, half)))).toBe(zlibCrc32(view));
      }
    }
  });
});
