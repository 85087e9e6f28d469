import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MqError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { buildSegment, framesFor, ns, range, RecordingHandler, tryOpen } from "../test/helpers";
import { tempRoot } from "../test/tmp-dir";
import { createFilePersistence } from "./file-persistence";
import { createFaultFs, type FaultFs } from "./fs/fault-fs";
import { segmentName, snapshotName } from "./layout";

const DIR = "/data";

/** 1..120 with snapshots at 50 and 100 (kept: both), small segments so compaction removed the oldest. */
async function journalWithTwoSnapshots(): Promise<FaultFs> {
  const fs = createFaultFs();
  const p = createFilePersistence({ dataDir: DIR, fs, segmentBytes: 1024, snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
  const h = new RecordingHandler();
  await p.open(h);
  const add = async (from: number, to: number) => {
    for (let n = from; n <= to; n++) {
      h.ops.push({ n });
      await p.append([{ n }]);
    }
  };
  await add(1, 50);
  await p.snapshot();
  await add(51, 100);
  await p.snapshot();
  await add(101, 120);
  await p.close();
  return fs;
}

const S1 = `${DIR}/snapshots/${snapshotName(50)}`;
const S2 = `${DIR}/snapshots/${snapshotName(100)}`;

describe("T7: a damaged newest snapshot falls back to the previous one", () => {
  it("compaction kept every segment after the older snapshot", async () => {
    const fs = await journalWithTwoSnapshots();
    expect(fs.listSync(`${DIR}/snapshots`)).toEqual([snapshotName(50), snapshotName(100)]);
    expect(fs.listSync(`${DIR}/journal`)[0]).not.toBe(segmentName(1));
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(r.h.calls[0]).toBe("restore:100");
    expect(ns(r.h)).toEqual(range(1, 120));
    await r.p.close();
  });

  const damages: [string, (b: Uint8Array) => Uint8Array | undefined][] = [
    ["zero length", () => new Uint8Array(0)],
    ["missing (crash before the rename became durable)", () => undefined],
    ...[1, 10, 100, 200].map((cut): [string, (b: Uint8Array) => Uint8Array] => [`truncated by ${cut} bytes`, (b) => b.subarray(0, Math.max(0, b.length - cut))]),
    ...Array.from({ length: 44 }, (_, i): [string, (b: Uint8Array) => Uint8Array] => [
      `bit flip #${i}`,
      (b) => {
        const c = Uint8Array.from(b);
        const at = Math.floor(((i + 0.5) / 44) * c.length);
        c[at]! ^= 1 << i % 8;
        return c;
      },
    ]),
  ];
  it(`${damages.length} damages to the newest snapshot: recovery uses the older one and replays more`, async () => {
    for (const [label, damage] of damages) {
      const fs = await journalWithTwoSnapshots();
      const damaged = damage(fs.readFileSync(S2)!);
      if (damaged) fs.writeFileSync(S2, damaged);
      else fs.unlinkSync(S2);
      const r = await tryOpen({ dataDir: DIR, fs });
      if ("error" in r) throw new Error(`${label}: ${String(r.error)}`);
      expect(r.h.calls[0], label).toBe("restore:50");
      expect(ns(r.h), label).toEqual(range(1, 120));
      await r.p.close();
    }
  });
});

describe("T8: no valid snapshot and no journal from LSN 1 is corruption, never an empty queue", () => {
  it("both snapshots damaged", async () => {
    const fs = await journalWithTwoSnapshots();
    fs.writeFileSync(S1, new Uint8Array(10));
    fs.writeFileSync(S2, new Uint8Array(0));
    const r = await tryOpen({ dataDir: DIR, fs });
    expect("error" in r && MqError.hasCode(r.error, "MQ_JOURNAL_CORRUPT")).toBe(true);
  });

  it("a segment missing after the snapshot recovery falls back to", async () => {
    const fs = await journalWithTwoSnapshots();
    fs.writeFileSync(S2, new Uint8Array(0));
    const segs = fs.listSync(`${DIR}/journal`);
    expect(segs.length).toBeGreaterThanOrEqual(2);
    fs.unlinkSync(`${DIR}/journal/${segs[0]!}`);
    const r = await tryOpen({ dataDir: DIR, fs });
    expect("error" in r && MqError.hasCode(r.error, "MQ_JOURNAL_CORRUPT")).toBe(true);
  });
});

describe("T9: temp files, unknown files and symlinks", () => {
  it("leftover temp files are removed and counted; unknown files are left alone", async () => {
    const fs = await journalWithTwoSnapshots();
    fs.writeFileSync(`${DIR}/snapshots/${snapshotName(120)}.tmp`, new Uint8Array(100));
    fs.writeFileSync(`${DIR}/snapshots/notes.txt`, new Uint8Array(3));
    fs.writeFileSync(`${DIR}/journal/README`, new Uint8Array(3));
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(r.report.tempFilesRemoved).toBe(1);
    expect(fs.listSync(`${DIR}/snapshots`)).not.toContain(`${snapshotName(120)}.tmp`);
    expect(fs.listSync(`${DIR}/snapshots`)).toContain("notes.txt");
    expect(fs.listSync(`${DIR}/journal`)).toContain("README");
    expect(ns(r.h)).toEqual(range(1, 120));
    await r.p.close();
  });

  it("symlinks named like segments or snapshots are not followed (real files)", async () => {
    const root = tempRoot("symlink");
    const dataDir = join(root, "data");
    const p = createFilePersistence({ dataDir, snapshotOnClose: false });
    await p.open(new RecordingHandler());
    for (const n of range(1, 5)) await p.append([{ n }]);
    await p.close();
    const elsewhere = join(root, "elsewhere");
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, "seg"), buildSegment(framesFor(6, 9)).bytes);
    writeFileSync(join(elsewhere, "snap"), new Uint8Array(50));
    symlinkSync(join(elsewhere, "seg"), join(dataDir, "journal", segmentName(6)));
    symlinkSync(join(elsewhere, "snap"), join(dataDir, "snapshots", snapshotName(9)));
    const r = await tryOpen({ dataDir });
    if ("error" in r) throw r.error;
    expect(ns(r.h)).toEqual(range(1, 5));
    expect(r.report.snapshotLsn).toBe(0);
    await r.p.close();
  });
});

describe("C6 (in process): recovery is idempotent", () => {
  it("recovering twice gives the same state and truncates only once", async () => {
    const fs = createFaultFs();
    const { bytes } = buildSegment(framesFor(1, 20));
    await fs.mkdir(`${DIR}/journal`);
    await fs.mkdir(`${DIR}/snapshots`);
    fs.writeFileSync(`${DIR}/journal/${segmentName(1)}`, bytes.subarray(0, bytes.length - 5));
    const first = await tryOpen({ dataDir: DIR, fs, snapshotOnClose: false });
    if ("error" in first) throw first.error;
    await first.p.close();
    const second = await tryOpen({ dataDir: DIR, fs, snapshotOnClose: false });
    if ("error" in second) throw second.error;
    expect(ns(second.h)).toEqual(ns(first.h));
    expect(first.report.truncated).toBeDefined();
    expect(second.report.truncated).toBeUndefined();
    await second.p.close();
  });
});
