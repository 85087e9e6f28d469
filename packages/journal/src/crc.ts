import { createRequire } from "node:module";
import * as zlib from "node:zlib";
import { crc32Js } from "./crc-js";

/** CRC-32 (IEEE 802.3, the zlib polynomial) of `data`, continuing from `initial`. */
export type Crc32 = (data: Uint8Array, initial?: number) => number;

// `zlib.crc32` exists from Node 20.15 on: read it off the namespace, so an older Node 20 loads this module.
const zlibCrc32 = (zlib as { crc32?: Crc32 }).crc32;

/**
 * The CRC-32 every frame and snapshot block carries. `@node-rs/crc32` (SIMD,
 * prebuilt per platform) computes the same CRC-32 as `node:zlib` and measured
 * 1.5–5× faster per frame here (frames of 256 B–64 KiB, where the per-call
 * cost of `zlib.crc32` dominates); where its native binary cannot load, the
 * journal falls back to `node:zlib` (Node ≥ 20.15), else to plain JavaScript.
 * All give identical values, so the on-disk format does not depend on which one ran.
 */
export const crc32: Crc32 = loadNative() ?? (typeof zlibCrc32 === "function" ? zlibCrc32 : crc32Js);

/** Which implementation {@link crc32} is: `"@node-rs/crc32"`, `"node:zlib"` or `"javascript"`. */
export const CRC32_IMPLEMENTATION: string = crc32 === crc32Js ? "javascript" : crc32 === zlibCrc32 ? "node:zlib" : "@node-rs/crc32";

function loadNative(): Crc32 | undefined {
  try {
    // tsup shims import.meta.url in the CommonJS build.
    const native = (createRequire(import.meta.url)("@node-rs/crc32") as { crc32?: (data: Uint8Array, initial?: number) => number }).crc32;
    if (typeof native !== "function") return undefined;
    // Trust it only if it computes the CRC-32 the format is defined by.
    const probe = Buffer.from("123456789");
    return native(probe) === 0xcbf43926 && native(probe.subarray(4), native(probe.subarray(0, 4))) === 0xcbf43926 ? native : undefined;
  } catch {
    return undefined;
  }
}
