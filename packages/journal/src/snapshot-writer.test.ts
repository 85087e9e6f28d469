import type { SnapshotData } from "@mq/core";
import { describe, expect, it } from "vitest";
import { createFaultFs } from "./fs/fault-fs";
import { snapshotName } from "./layout";
import { readSnapshotFile } from "./snapshot-file";
import { SnapshotWriter } from "./snapshot-writer";

const DIR = "/s";

async function setup(options: { keep?: number; durableAfter?: Promise<void> } = {}) {
  const fs = createFaultFs();
  await fs.mkdir(DIR);
  let lsn = 10;
  const state: SnapshotData = { meta: { m: 1 }, items: [{ a: 1 }, { b: 2 }] };
  const covered: number[] = [];
  const passed: string[] = [];
  const waited: number[] = [];
  const writer = new SnapshotWriter({
    fs,
    dir: DIR,
    failpoint: (n) => passed.push(n),
    now: () => performance.now(),
    keep: options.keep ?? 2,
    existing: [],
    failure: () => undefined,
    capture: () => state,
    lastLsn: () => lsn,
    waitDurable: async (l) => {
      waited.push(l);
      await options.durableAfter;
    },
    dropCoveredBy: async (l) => void covered.push(l),
  });
  return { fs, writer, setLsn: (n: number) => (lsn = n), covered, passed, waited, state };
}

describe("SnapshotWriter on FaultFs", () => {
  it("writes a valid snapshot named for the last LSN, then compacts", async () => {
    const { fs, writer, covered, passed, waited, state } = await setup();
    const info = await writer.write();
    expect(info).toMatchObject({ lsn: 10, items: 2 });
    expect(fs.listSync(DIR)).toEqual([snapshotName(10)]);
    const read = readSnapshotFile(Buffer.from(fs.readFileSync(`${DIR}/${snapshotName(10)}`)!), 10);
    expect(read.data).toEqual(state);
    expect(waited).toEqual([10]);
    expect(covered).toEqual([10]);
    expect(passed).toEqual(["snapshot.beforeTmpWrite", "snapshot.midTmpWrite", "snapshot.afterTmpSync", "snapshot.afterRename", "snapshot.afterDirSync"]);
  });

  it("keeps `keep` snapshots and reports the oldest kept as the compaction point", async () => {
    const { fs, writer, setLsn, covered } = await setup({ keep: 2 });
    for (const lsn of [10, 20, 30]) {
      setLsn(lsn);
      await writer.write();
    }
    expect(fs.listSync(DIR)).toEqual([snapshotName(20), snapshotName(30)]);
    expect(covered).toEqual([10, 10, 20]);
    expect(writer.newestLsn).toBe(30);
  });

  it("renames only after the frames it covers are durable", async () => {
    let release!: () => void;
    const durableAfter = new Promise<void>((r) => (release = r));
    const { fs, writer } = await setup({ durableAfter });
    const done = writer.write();
    await new Promise((r) => setTimeout(r, 20));
    expect(fs.listSync(DIR)).toEqual([`${snapshotName(10)}.tmp`]);
    release();
    await done;
    expect(fs.listSync(DIR)).toEqual([snapshotName(10)]);
  });

  it("a failed write removes its temp file and leaves the previous snapshot", async () => {
    const { fs, writer, setLsn } = await setup();
    await writer.write();
    setLsn(20);
    fs.inject({ op: "fsync", errno: "EIO" });
    await expect(writer.write()).rejects.toMatchObject({ code: "EIO" });
    expect(fs.listSync(DIR)).toEqual([snapshotName(10)]);
    expect(writer.busy).toBe(false);
  });

  it("queued snapshots run one at a time", async () => {
    const { writer, setLsn } = await setup();
    const a = writer.write();
    setLsn(11);
    const b = writer.write();
    expect(writer.busy).toBe(false); // nothing starts synchronously
    expect((await a).lsn).toBe(11); // capture happens when the snapshot runs
    expect((await b).lsn).toBe(11);
  });
});
