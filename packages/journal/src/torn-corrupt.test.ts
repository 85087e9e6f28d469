import type { JournalCorruptError} from "@mq/core";
import { MqError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { buildSegment, framesFor, makeLayout, ns, putSegment, range, tryOpen } from "../test/helpers";
import { createFaultFs } from "./fs/fault-fs";
import { scanSegment } from "./segment-scan";

const DIR = "/data";

async function setup(bytes: Uint8Array, firstLsn = 1) {
  const fs = createFaultFs();
  await makeLayout(fs, DIR);
  const file = putSegment(fs, DIR, firstLsn, bytes);
  return { fs, file };
}

function classify(bytes: Buffer): "ok" | "torn" | "corrupt" {
  const scan = scanSegment(bytes, { last: true, skip: false, prevLsn: 0, onFrame: () => undefined });
  return scan.corrupt ? "corrupt" : scan.torn ? "torn" : "ok";
}

function isCorrupt(error: unknown): error is JournalCorruptError {
  return MqError.hasCode(error, "MQ_JOURNAL_CORRUPT");
}

describe("T1: the last frame cut at every byte offset is a torn tail", () => {
  for (const pad of [16, 240, 4096, 65_537]) {
    it(`body of ~${pad} bytes: every cut classifies as torn at the frame start`, () => {
      const { bytes, offsets } = buildSegment(framesFor(1, 3, pad));
      const start = offsets[2]!;
      // The tail alone is scanned (the frames before it are valid and already covered below), to keep this fast.
      for (let cut = start + 1; cut < bytes.length; cut++) {
        const scan = scanSegment(bytes.subarray(start, cut), { last: true, skip: false, prevLsn: 2, onFrame: () => undefined });
        if (scan.torn?.offset !== 0 || scan.corrupt) throw new Error(`cut at ${cut}: ${JSON.stringify(scan)}`);
      }
    });
  }

  it("1 MiB frame: every 512-byte boundary ±1 and 1,000 sampled cuts are torn", () => {
    const { bytes, offsets } = buildSegment(framesFor(1, 2, 1024 * 1024));
    const start = offsets[1]!;
    const cuts = new Set<number>();
    for (let b = Math.ceil(start / 512) * 512; b < bytes.length; b += 512) for (const d of [-1, 0, 1]) cuts.add(b + d);
    for (let i = 0; i < 1000; i++) cuts.add(start + 1 + Math.floor(Math.random() * (bytes.length - start - 1)));
    for (const cut of cuts) {
      if (cut <= start || cut >= bytes.length) continue;
      const scan = scanSegment(bytes.subarray(start, cut), { last: true, skip: false, prevLsn: 1, onFrame: () => undefined });
      if (scan.torn?.offset !== 0) throw new Error(`cut ${cut}: ${JSON.stringify(scan)}`);
    }
  });

  it("open() truncates a cut frame, reports it exactly, and a later append + reopen works", async () => {
    const { bytes, offsets } = buildSegment(framesFor(1, 3, 240));
    const start = offsets[2]!;
    for (let cut = start + 1; cut < bytes.length; cut += 7) {
      const { fs, file } = await setup(bytes.subarray(0, cut));
      const r = await tryOpen({ dataDir: DIR, fs, snapshotOnClose: false });
      if ("error" in r) throw r.error;
      expect(r.report.truncated).toEqual({ file, offset: start, bytes: cut - start });
      expect(ns(r.h)).toEqual([1, 2]);
      expect(fs.readFileSync(file)!.length).toBe(start);
      expect(await r.p.append([{ n: 3 }])).toBe(3);
      await r.p.close();
      const again = await tryOpen({ dataDir: DIR, fs });
      if ("error" in again) throw again.error;
      expect(ns(again.h)).toEqual([1, 2, 3]);
      expect(again.report.truncated).toBeUndefined();
      await again.p.close();
    }
  });

  it("emits a truncated event", async () => {
    const { bytes, offsets } = buildSegment(framesFor(1, 2));
    const { fs } = await setup(bytes.subarray(0, bytes.length - 3));
    const { createFilePersistence } = await import("./file-persistence");
    const p = createFilePersistence({ dataDir: DIR, fs });
    const seen: unknown[] = [];
    p.events.on("truncated", (info) => seen.push(info));
    const { RecordingHandler } = await import("../test/helpers");
    await p.open(new RecordingHandler());
    expect(seen).toEqual([expect.objectContaining({ offset: offsets[1] })]);
    await p.close();
  });
});

describe("T2: zero tails are torn", () => {
  for (const k of [1, 7, 8, 511, 512, 4096, 65_536]) {
    it(`${k} zero bytes after the last frame are cut off without error`, async () => {
      const { bytes } = buildSegment(framesFor(1, 4));
      const { fs, file } = await setup(Buffer.concat([bytes, Buffer.alloc(k)]));
      const r = await tryOpen({ dataDir: DIR, fs });
      if ("error" in r) throw r.error;
      expect(ns(r.h)).toEqual([1, 2, 3, 4]);
      expect(r.report.truncated).toEqual({ file, offset: bytes.length, bytes: k });
      await r.p.close();
    });
  }
});

describe("T3: a bit flip in the complete last frame is corruption, never a silent truncation", () => {
  it("every one of the 2,048 bits of a 256-byte last frame", async () => {
    const { bytes, offsets } = buildSegment(framesFor(1, 3, 227));
    const start = offsets[2]!;
    expect(bytes.length - start).toBe(256);
    for (let bit = 0; bit < 256 * 8; bit++) {
      const copy = Buffer.from(bytes);
      copy[start + (bit >> 3)]! ^= 1 << (bit & 7);
      const kind = classify(copy);
      if (kind !== "corrupt") throw new Error(`bit ${bit}: classified ${kind}`);
    }
  });

  it("open() names the file and the frame offset; skip drops and counts exactly that frame", async () => {
    const { bytes, offsets } = buildSegment(framesFor(1, 3, 227));
    const start = offsets[2]!;
    for (const bit of [0, 37, 64, 100, 130, 700, 2047]) {
      const copy = Buffer.from(bytes);
      copy[start + (bit >> 3)]! ^= 1 << (bit & 7);
      const { fs, file } = await setup(copy);
      const failed = await tryOpen({ dataDir: DIR, fs });
      expect("error" in failed && isCorrupt(failed.error)).toBe(true);
      const err = (failed as { error: JournalCorruptError }).error;
      expect(err.file).toBe(file);
      expect(err.offset).toBe(start);
      const skipped = await tryOpen({ dataDir: DIR, fs, onCorruption: "skip" });
      if ("error" in skipped) throw skipped.error;
      expect(ns(skipped.h)).toEqual([1, 2]);
      expect(skipped.report.skipped).toHaveLength(1);
      expect(skipped.report.skipped[0]).toMatchObject({ file, offset: start });
      await skipped.p.close();
    }
  });
});

describe("T4: a zero sector inside the last frame is torn", () => {
  it("zeroing any whole sector of a multi-sector last frame truncates it", async () => {
    const { bytes, offsets } = buildSegment(framesFor(1, 2, 4000));
    const start = offsets[1]!;
    for (let s = Math.ceil(start / 512) * 512; s + 512 <= bytes.length; s += 512) {
      const copy = Buffer.from(bytes);
      copy.fill(0, s, s + 512);
      expect(classify(copy), `sector at ${s}`).toBe("torn");
    }
    const copy = Buffer.from(bytes);
    const zeroAt = Math.ceil(start / 512) * 512 + 512;
    copy.fill(0, zeroAt, zeroAt + 512);
    const { fs } = await setup(copy);
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(ns(r.h)).toEqual([1]);
    expect(r.report.truncated?.offset).toBe(start);
    await r.p.close();
  });
});

describe("T5: a bit flip in a middle frame is corruption", () => {
  it("every one of the 2,048 bits of a 256-byte middle frame", () => {
    const { bytes, offsets } = buildSegment(framesFor(1, 5, 227));
    const start = offsets[2]!;
    for (let bit = 0; bit < 2048; bit++) {
      const copy = Buffer.from(bytes);
      copy[start + (bit >> 3)]! ^= 1 << (bit & 7);
      const scan = scanSegment(copy, { last: true, skip: false, prevLsn: 0, onFrame: () => undefined });
      if (scan.corrupt?.offset !== start) throw new Error(`bit ${bit}: ${JSON.stringify(scan)}`);
    }
  });

  it("open() fails naming the frame; skip recovers every other frame and reports the LSN gap", async () => {
    const { bytes, offsets } = buildSegment(framesFor(1, 5, 227));
    const start = offsets[2]!;
    for (const bit of [3, 40, 90, 1000]) {
      const copy = Buffer.from(bytes);
      copy[start + (bit >> 3)]! ^= 1 << (bit & 7);
      const { fs, file } = await setup(copy);
      const failed = await tryOpen({ dataDir: DIR, fs });
      expect("error" in failed && isCorrupt(failed.error) && failed.error.offset === start && failed.error.file === file).toBe(true);
      const r = await tryOpen({ dataDir: DIR, fs, onCorruption: "skip" });
      if ("error" in r) throw r.error;
      expect(ns(r.h)).toEqual([1, 2, 4, 5]);
      expect(r.report.skipped).toEqual([{ file, offset: start, lsnGap: [3, 3] }]);
      await r.p.close();
    }
  });

  it("1,000 random bit flips across a larger journal (outside the last frame) are all detected", () => {
    const { bytes, offsets } = buildSegment(framesFor(1, 400, 100));
    const lastStart = offsets[offsets.length - 1]!;
    for (let i = 0; i < 1000; i++) {
      const copy = Buffer.from(bytes);
      const at = Math.floor(Math.random() * lastStart);
      copy[at]! ^= 1 << Math.floor(Math.random() * 8);
      const scan = scanSegment(copy, { last: true, skip: false, prevLsn: 0, onFrame: () => undefined });
      const frame = offsets.filter((o) => o <= at).pop();
      if (scan.corrupt?.offset !== frame) throw new Error(`flip at ${at}: ${JSON.stringify(scan)}`);
    }
  });
});

describe("T6: a corrupted length field of a middle frame is never a torn tail", () => {
  const { bytes, offsets } = buildSegment(framesFor(1, 12, 60));
  for (const [label, f] of [
    ["huge", () => 0xffff_fff0],
    ["+1", (n: number) => n + 1],
    ["-1", (n: number) => n - 1],
    ["0", () => 0],
  ] as const) {
    it(`length ${label} at 10 positions`, () => {
      for (let k = 1; k <= 10; k++) {
        const copy = Buffer.from(bytes);
        const o = offsets[k]!;
        copy.writeUInt32LE(f(copy.readUInt32LE(o + 4)), o + 4);
        const scan = scanSegment(copy, { last: true, skip: false, prevLsn: 0, onFrame: () => undefined });
        expect(scan.corrupt?.offset, `${label} at frame ${k}`).toBe(o);
      }
    });
  }

  it("a last frame whose length field was damaged (file ends exactly at the frame) is corruption", () => {
    const { bytes: b, offsets: offs } = buildSegment(framesFor(1, 3, 60));
    const o = offs[2]!;
    for (const delta of [1, 2, 8, 100]) {
      const copy = Buffer.from(b);
      copy.writeUInt32LE(copy.readUInt32LE(o + 4) + delta, o + 4);
      expect(classify(copy)).toBe("corrupt");
    }
  });
});

describe("T8: missing or duplicated LSNs across segments are corruption", () => {
  it("a segment missing in the middle", async () => {
    const fs = createFaultFs();
    await makeLayout(fs, DIR);
    putSegment(fs, DIR, 1, buildSegment(framesFor(1, 5)).bytes);
    putSegment(fs, DIR, 11, buildSegment(framesFor(11, 15)).bytes);
    const r = await tryOpen({ dataDir: DIR, fs });
    expect("error" in r && isCorrupt(r.error) && /missing/.test(r.error.message)).toBe(true);
    const skipped = await tryOpen({ dataDir: DIR, fs, onCorruption: "skip" });
    if ("error" in skipped) throw skipped.error;
    expect(skipped.report.skipped).toEqual([expect.objectContaining({ lsnGap: [6, 10] })]);
    await skipped.p.close();
  });

  it("an LSN duplicated across segments", async () => {
    const fs = createFaultFs();
    await makeLayout(fs, DIR);
    putSegment(fs, DIR, 1, buildSegment(framesFor(1, 5)).bytes);
    putSegment(fs, DIR, 5, buildSegment(framesFor(5, 8)).bytes);
    const r = await tryOpen({ dataDir: DIR, fs });
    expect("error" in r && isCorrupt(r.error) && /duplicated/.test(r.error.message)).toBe(true);
  });

  it("a segment whose name disagrees with its first frame", async () => {
    const fs = createFaultFs();
    await makeLayout(fs, DIR);
    putSegment(fs, DIR, 1, buildSegment(framesFor(1, 5)).bytes);
    putSegment(fs, DIR, 7, buildSegment(framesFor(6, 8)).bytes);
    const r = await tryOpen({ dataDir: DIR, fs });
    expect("error" in r && isCorrupt(r.error)).toBe(true);
  });

  it("a bad frame in a segment that is not the last is corruption even at its end", async () => {
    const fs = createFaultFs();
    await makeLayout(fs, DIR);
    const first = buildSegment(framesFor(1, 5)).bytes;
    putSegment(fs, DIR, 1, first.subarray(0, first.length - 4));
    putSegment(fs, DIR, 6, buildSegment(framesFor(6, 8)).bytes);
    const r = await tryOpen({ dataDir: DIR, fs });
    expect("error" in r && isCorrupt(r.error)).toBe(true);
  });

  it("journal that does not start at LSN 1 without a snapshot", async () => {
    const fs = createFaultFs();
    await makeLayout(fs, DIR);
    putSegment(fs, DIR, 4, buildSegment(framesFor(4, 8)).bytes);
    const r = await tryOpen({ dataDir: DIR, fs });
    expect("error" in r && isCorrupt(r.error)).toBe(true);
  });

  it("recovers a valid multi-segment journal in order", async () => {
    const fs = createFaultFs();
    await makeLayout(fs, DIR);
    putSegment(fs, DIR, 1, buildSegment(framesFor(1, 5)).bytes);
    putSegment(fs, DIR, 6, buildSegment(framesFor(6, 9)).bytes);
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(ns(r.h)).toEqual(range(1, 9));
    expect(await r.p.append([{ n: 10 }])).toBe(10);
    await r.p.close();
  });
});
