import { MqError, UnsupportedVersionError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { ns, range, RecordingHandler, tryOpen } from "../test/helpers";
import { encode } from "./codec";
import { createFilePersistence } from "./file-persistence";
import { createFaultFs, type FaultFs } from "./fs/fault-fs";
import { snapshotName } from "./layout";
import { SNAPSHOT_FORMAT_VERSION } from "./snapshot-file";
import { crc32 } from "node:zlib";

const DIR = "/data";

/** A journal 1..20 with a snapshot at 10, then a snapshot file at 20 whose header claims `version`. */
async function withNewerSnapshot(version: number): Promise<{ fs: FaultFs; file: string }> {
  const fs = createFaultFs();
  const p = createFilePersistence({ dataDir: DIR, fs, snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
  const h = new RecordingHandler();
  await p.open(h);
  for (let n = 1; n <= 20; n++) {
    h.ops.push({ n });
    await p.append([{ n }]);
    if (n === 10) await p.snapshot();
  }
  await p.close();
  // A newer writer's header: same block framing, a higher `v` and fields this code knows nothing of.
  const body = Buffer.from(encode({ format: "mq-snapshot", v: version, lsn: 20, layout: "columnar", items: 0 }));
  const block = Buffer.alloc(8 + body.length);
  block.writeUInt32LE(body.length, 0);
  block.writeUInt32LE(crc32(body), 4);
  body.copy(block, 8);
  const file = `${DIR}/snapshots/${snapshotName(20)}`;
  fs.writeFileSync(file, block);
  return { fs, file };
}

describe("data written by a newer version stops recovery", () => {
  it("a snapshot of a newer format version fails open() with UnsupportedVersionError naming the version and the file", async () => {
    const { fs, file } = await withNewerSnapshot(SNAPSHOT_FORMAT_VERSION + 1);
    const before = fs.listSync(`${DIR}/journal`);
    const r = await tryOpen({ dataDir: DIR, fs });
    expect("error" in r).toBe(true);
    const error = (r as { error: unknown }).error;
    expect(error).toBeInstanceOf(UnsupportedVersionError);
    expect(MqError.hasCode(error, "MQ_UNSUPPORTED_VERSION")).toBe(true);
    expect(error).toMatchObject({ what: "snapshot format version", found: SNAPSHOT_FORMAT_VERSION + 1 });
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain(`up to ${SNAPSHOT_FORMAT_VERSION}`);
    // Nothing was changed: no fallback to the older snapshot, no file deleted or truncated.
    expect(fs.listSync(`${DIR}/journal`)).toEqual(before);
    expect(fs.listSync(`${DIR}/snapshots`)).toEqual([snapshotName(10), snapshotName(20)]);
  });

  it("onCorruption: 'skip' does not skip it either", async () => {
    const { fs } = await withNewerSnapshot(7);
    const r = await tryOpen({ dataDir: DIR, fs, onCorruption: "skip" });
    expect((r as { error: unknown }).error).toMatchObject({ code: "MQ_UNSUPPORTED_VERSION", found: 7 });
  });

  it("a damaged version field (not a newer version) is still damage: recovery falls back to the older snapshot", async () => {
    const { fs } = await withNewerSnapshot(0);
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(r.h.calls[0]).toBe("restore:10");
    expect(ns(r.h)).toEqual(range(1, 20));
    await r.p.close();
  });
});
