import { MqError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { buildSegment, framesFor, makeLayout, ns, putSegment, range, RecordingHandler, tryOpen } from "../test/helpers";
import { encode } from "./codec";
import { createFilePersistence } from "./file-persistence";
import { FRAME_HEADER_BYTES, GROUP_COUNT_BYTES, sealGroupFrame } from "./frame";
import { createFaultFs } from "./fs/fault-fs";
import { snapshotName } from "./layout";
import { scanSegment } from "./segment-scan";
import { writeSnapshotFile } from "./snapshot-file";

const DIR = "/data";

/** One group frame holding a record `[{ n, pad }]` for each LSN first..last. */
function groupFrame(first: number, last: number, padBytes = 20): Buffer {
  const records = range(first, last).map((n) => Buffer.from(encode([{ n, pad: "g".repeat(padBytes) }])));
  const bodyAt = FRAME_HEADER_BYTES + GROUP_COUNT_BYTES;
  const buf = Buffer.alloc(bodyAt + records.reduce((s, r) => s + r.length, 0));
  let o = bodyAt;
  for (const r of records) o += r.copy(buf, o);
  sealGroupFrame(buf, 0, first, records.length, o);
  return buf;
}

function scanCounts(bytes: Buffer, prevLsn = 0) {
  const frames: [number, number][] = [];
  const scan = scanSegment(bytes, { last: true, skip: false, prevLsn, onFrame: (lsn, _s, _e, _o, count) => frames.push([lsn, count]) });
  return { scan, frames };
}

describe("group frames", () => {
  it("the writer packs a round into one group frame; recovery gives back every record with its LSN", async () => {
    const fs = createFaultFs();
    const p = createFilePersistence({ dataDir: DIR, fs, snapshotEveryMs: 0, snapshotOnClose: false });
    await p.open(new RecordingHandler());
    const lsns = await Promise.all(range(1, 300).map((n) => p.append([{ n }])));
    expect(lsns).toEqual(range(1, 300));
    await p.close();
    const seg = Buffer.from(fs.readFileSync(`${DIR}/journal/${fs.listSync(`${DIR}/journal`)[0]}`)!);
    expect(scanCounts(seg).frames).toEqual([[1, 300]]);
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(ns(r.h)).toEqual(range(1, 300));
    expect(r.h.calls.filter((c) => c.startsWith("apply:")).map((c) => Number(c.slice(6)))).toEqual(range(1, 300));
    expect(r.report.framesReplayed).toBe(300);
    await r.p.close();
  });

  it("record frames written by the first release and group frames read back together", async () => {
    const fs = createFaultFs();
    await makeLayout(fs, DIR);
    const bytes = Buffer.concat([buildSegment(framesFor(1, 5)).bytes, groupFrame(6, 40), buildSegment(framesFor(41, 42)).bytes, groupFrame(43, 43)]);
    putSegment(fs, DIR, 1, bytes);
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(ns(r.h)).toEqual(range(1, 43));
    expect(await r.p.append([{ n: 44 }])).toBe(44);
    await r.p.close();
  });

  it("a group frame cut at every byte offset is a torn tail", () => {
    const head = buildSegment(framesFor(1, 3)).bytes;
    const tail = groupFrame(4, 30);
    const bytes = Buffer.concat([head, tail]);
    for (let cut = head.length + 1; cut < bytes.length; cut++) {
      const { scan } = scanCounts(bytes.subarray(0, cut));
      if (scan.torn?.offset !== head.length || scan.corrupt) throw new Error(`cut ${cut}: ${JSON.stringify(scan)}`);
    }
  });

  it("every bit flip in a middle group frame is corruption; skip drops the whole group and reports its LSNs", async () => {
    const first = groupFrame(1, 10);
    const middle = groupFrame(11, 20, 5);
    const bytes = Buffer.concat([first, middle, groupFrame(21, 25)]);
    for (let bit = 0; bit < middle.length * 8; bit++) {
      const copy = Buffer.from(bytes);
      copy[first.length + (bit >> 3)]! ^= 1 << (bit & 7);
      const { scan } = scanCounts(copy);
      if (scan.corrupt?.offset !== first.length) throw new Error(`bit ${bit}: ${JSON.stringify(scan)}`);
    }
    const copy = Buffer.from(bytes);
    copy[first.length + 40]! ^= 0x10;
    const fs = createFaultFs();
    await makeLayout(fs, DIR);
    const file = putSegment(fs, DIR, 1, copy);
    const failed = await tryOpen({ dataDir: DIR, fs });
    expect("error" in failed && MqError.hasCode(failed.error, "MQ_JOURNAL_CORRUPT")).toBe(true);
    const r = await tryOpen({ dataDir: DIR, fs, onCorruption: "skip" });
    if ("error" in r) throw r.error;
    expect(ns(r.h)).toEqual([...range(1, 10), ...range(21, 25)]);
    expect(r.report.skipped).toEqual([{ file, offset: first.length, lsnGap: [11, 20] }]);
    await r.p.close();
  });

  it("a group frame whose count disagrees with its records is corruption, not a short replay", async () => {
    const frame = groupFrame(1, 5);
    // Re-seal with a count of 4: the checksum is valid, the count is a lie.
    const bodyEnd = frame.length;
    sealGroupFrame(frame, 0, 1, 4, bodyEnd);
    const fs = createFaultFs();
    await makeLayout(fs, DIR);
    putSegment(fs, DIR, 1, Buffer.concat([frame, groupFrame(5, 6)]));
    const r = await tryOpen({ dataDir: DIR, fs });
    expect("error" in r && MqError.hasCode(r.error, "MQ_JOURNAL_CORRUPT") && /4 records/.test((r.error as Error).message)).toBe(true);
  });

  it("a snapshot labelled inside a group replays only the records after it", async () => {
    // Real case: an automatic snapshot captures while a round is still filling, so later appends join that round.
    const fs = createFaultFs();
    await makeLayout(fs, DIR);
    putSegment(fs, DIR, 1, Buffer.concat([groupFrame(1, 4), groupFrame(5, 20)]));
    const fd = await fs.open(`${DIR}/snapshots/${snapshotName(10)}`, "create");
    await writeSnapshotFile(fs, fd, 10, { meta: { count: 10 }, items: range(1, 10).map((n) => ({ n, pad: "g".repeat(20) })) }, { now: () => 0 });
    await fs.close(fd);
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(r.h.calls[0]).toBe("restore:10");
    expect(r.h.lsns).toEqual(range(11, 20));
    expect(ns(r.h)).toEqual(range(1, 20));
    await r.p.close();
  });

  it("a round larger than one group frame is split into several, all recovered", async () => {
    const fs = createFaultFs();
    const p = createFilePersistence({ dataDir: DIR, fs, snapshotEveryMs: 0, snapshotOnClose: false });
    await p.open(new RecordingHandler());
    const pad = "x".repeat(64 * 1024);
    const lsns = await Promise.all(range(1, 300).map((n) => p.append([{ n, pad }])));
    expect(lsns).toEqual(range(1, 300));
    await p.close();
    const seg = Buffer.from(fs.readFileSync(`${DIR}/journal/${fs.listSync(`${DIR}/journal`)[0]}`)!);
    const { frames } = scanCounts(seg);
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.reduce((s, [, c]) => s + c, 0)).toBe(300);
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(ns(r.h)).toEqual(range(1, 300));
    await r.p.close();
  });
});
