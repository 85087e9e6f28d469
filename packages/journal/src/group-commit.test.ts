import { MqError, type PersistenceError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { decode, decodeRecords } from "./codec";
import { createFaultFs, type FaultFs } from "./fs/fault-fs";
import { GroupCommit } from "./group-commit";
import { segmentName } from "./layout";
import { scanSegment } from "./segment-scan";
import { SegmentFiles } from "./segment-files";
import type { DurabilityMode } from "@mq/core";

const DIR = "/j";

async function setup(durability: DurabilityMode = "batch", segmentBytes = 1 << 20) {
  const fs = createFaultFs();
  await fs.mkdir(DIR);
  const passed: string[] = [];
  const segments = new SegmentFiles(fs, DIR, (name) => passed.push(name));
  await segments.create(1);
  const failures: PersistenceError[] = [];
  const commit = new GroupCommit({ durability, segmentBytes, segments, failpoint: (name) => passed.push(name), lastLsn: 0, journalDir: DIR, onFailStop: (e) => failures.push(e) });
  return { fs, segments, commit, passed, failures };
}

/** Every frame in the journal folder, in order: [lsn, ops]. */
function frames(fs: FaultFs, segments: SegmentFiles): [number, unknown][] {
  const out: [number, unknown][] = [];
  for (const seg of segments.list) {
    const buf = Buffer.from(fs.readFileSync(`${DIR}/${seg.name}`)!);
    const scan = scanSegment(buf, {
      last: true,
      skip: false,
      prevLsn: 0,
      onFrame: (lsn, s, e, _o, count, group) => {
        const records = group ? decodeRecords(buf, s, e) : [decode(buf, s, e)];
        expect(records).toHaveLength(count);
        records.forEach((ops, i) => out.push([lsn + i, ops]));
      },
    });
    expect(scan.validEnd).toBe(buf.length);
  }
  return out;
}

describe("GroupCommit on FaultFs", () => {
  it("a burst of appends becomes one write and one fdatasync; each resolves with its own LSN, in order", async () => {
    const { fs, segments, commit } = await setup();
    const before = { writev: fs.calls.writev ?? 0, fdatasync: fs.calls.fdatasync ?? 0 };
    const order: number[] = [];
    const lsns = await Promise.all(Array.from({ length: 500 }, (_, i) => commit.append([{ i, pad: "x".repeat(i % 300) }]).then((lsn) => (order.push(lsn), lsn))));
    expect(lsns).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(order).toEqual(lsns);
    expect((fs.calls.writev ?? 0) - before.writev).toBe(1);
    expect((fs.calls.fdatasync ?? 0) - before.fdatasync).toBe(1);
    expect(commit.durableLsn).toBe(500);
    expect(frames(fs, segments)).toEqual(lsns.map((lsn) => [lsn, [{ i: lsn - 1, pad: "x".repeat((lsn - 1) % 300) }]]));
  });

  it("values larger than the group buffer and msgpackr's own buffer are framed intact", async () => {
    const { fs, segments, commit } = await setup();
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i & 255);
    const results = await Promise.all([commit.append([{ a: 1 }]), commit.append([big]), commit.append(["after"])]);
    expect(results).toEqual([1, 2, 3]);
    const got = frames(fs, segments);
    expect(got.map(([lsn]) => lsn)).toEqual([1, 2, 3]);
    expect(Buffer.from((got[1]![1] as Uint8Array[])[0]!).equals(Buffer.from(big))).toBe(true);
    expect(got[2]![1]).toEqual(["after"]);
  });

  it("an op that cannot be encoded is rejected alone and takes no LSN", async () => {
    const { fs, segments, commit } = await setup();
    const a = commit.append([{ n: 1 }]);
    const throwing = { ok: "x".repeat(100), get bad(): never { throw new Error("boom"); } };
    await expect(commit.append([Symbol("s")])).rejects.toMatchObject({ code: "MQ_INVALID_ARGUMENT" });
    await expect(commit.append([throwing])).rejects.toMatchObject({ code: "MQ_INVALID_ARGUMENT" });
    await expect(commit.append("nope" as unknown as unknown[])).rejects.toMatchObject({ code: "MQ_INVALID_ARGUMENT" });
    expect(await a).toBe(1);
    expect(await commit.append([{ n: 2 }])).toBe(2);
    expect(frames(fs, segments)).toEqual([[1, [{ n: 1 }]], [2, [{ n: 2 }]]]);
  });

  it("rolls to a new segment named for the group's first LSN, after syncing the old one", async () => {
    const { fs, segments, commit, passed } = await setup("batch", 1024);
    for (let i = 0; i < 30; i++) await commit.append([{ i, pad: "p".repeat(100) }]);
    expect(segments.list.length).toBeGreaterThan(1);
    expect(fs.listSync(DIR)).toEqual(segments.list.map((s) => s.name));
    expect(segments.list[1]!.name).toBe(segmentName(segments.list[1]!.base));
    expect(frames(fs, segments).map(([lsn]) => lsn)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(passed).toContain("segment.roll.afterDirSync");
  });

  it("always: one write and one fdatasync per append, failpoints in order", async () => {
    const { fs, commit, passed } = await setup("always");
    passed.length = 0;
    const before = fs.calls.fdatasync ?? 0;
    await Promise.all([commit.append([1]), commit.append([2]), commit.append([3])]);
    expect((fs.calls.fdatasync ?? 0) - before).toBe(3);
    expect(passed.slice(0, 4)).toEqual(["append.beforeWrite", "append.afterWrite", "append.afterSync", "append.afterResolve"]);
  });

  it("interval and none resolve after the write; waitDurable forces the fdatasync", async () => {
    for (const mode of ["interval", "none"] as const) {
      const { commit } = await setup(mode);
      expect(await commit.append([1])).toBe(1);
      expect(commit.durableLsn).toBe(0);
      await commit.waitDurable(1);
      expect(commit.durableLsn).toBe(1);
    }
  });

  it("an fdatasync error fail-stops: the group rejects with the errno, later calls with FAIL_STOPPED, onFailStop once", async () => {
    const { fs, commit, failures } = await setup();
    fs.inject({ op: "fdatasync", errno: "EIO" });
    const group = Array.from({ length: 10 }, (_, i) => commit.append([i]));
    for (const p of group) await expect(p).rejects.toMatchObject({ code: "MQ_PERSISTENCE", errno: "EIO" });
    await expect(commit.append([1])).rejects.toMatchObject({ errno: "FAIL_STOPPED" });
    await expect(commit.waitDurable(1)).rejects.toSatisfy((e) => MqError.isInstance(e));
    expect(failures).toHaveLength(1);
    expect(failures[0]!.errno).toBe("EIO");
  });

  it("a short write is continued; a write that makes no progress fail-stops", async () => {
    const { fs, segments, commit } = await setup();
    fs.inject({ op: "writev", shortBytes: 10 });
    expect(await Promise.all([commit.append(["a"]), commit.append(["b"])])).toEqual([1, 2]);
    expect(frames(fs, segments).map(([, ops]) => ops)).toEqual([["a"], ["b"]]);
    fs.inject({ op: "writev", shortBytes: 0, persistent: true });
    await expect(commit.append(["c"])).rejects.toMatchObject({ errno: "ESHORTWRITE" });
  });
});

/** FaultFs whose fdatasyncs wait until the test releases them, one at a time, counting how many were in flight at once. */
async function gatedSetup() {
  const base = createFaultFs();
  await base.mkdir(DIR);
  const gates: (() => void)[] = [];
  const stats = { inFlight: 0, maxInFlight: 0, writes: 0, writesDuringSync: 0 };
  const fs = Object.create(base) as FaultFs;
  fs.fdatasync = async (fd) => {
    stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
    await new Promise<void>((release) => gates.push(release));
    try {
      await base.fdatasync(fd);
    } finally {
      stats.inFlight--;
    }
  };
  fs.writev = (fd, buffers, position) => {
    stats.writes++;
    if (stats.inFlight > 0) stats.writesDuringSync++;
    return base.writev(fd, buffers, position);
  };
  const segments = new SegmentFiles(fs, DIR, () => undefined);
  await segments.create(1);
  const failures: PersistenceError[] = [];
  const commit = new GroupCommit({ durability: "batch", segmentBytes: 1 << 20, segments, failpoint: () => undefined, lastLsn: 0, journalDir: DIR, onFailStop: (e) => failures.push(e) });
  const tick = () => new Promise((r) => setTimeout(r, 5));
  const release = async () => {
    while (gates.length === 0) await tick();
    gates.shift()!();
    await tick();
  };
  return { base, segments, commit, stats, release, tick, failures };
}

describe("GroupCommit pipeline (batch)", () => {
  it("writes the next group while the previous fdatasync is on the disk; each append resolves only after an fdatasync begun after its write", async () => {
    const { base, segments, commit, stats, release, tick } = await gatedSetup();
    const resolvedAt: [number, number][] = []; // [lsn, durableLsn when it resolved]
    const track = (p: Promise<number>) => p.then((lsn) => (resolvedAt.push([lsn, commit.durableLsn]), lsn));
    const a = Array.from({ length: 100 }, (_, i) => track(commit.append([{ a: i }])));
    await tick();
    expect(stats.writes).toBe(1);
    expect(stats.inFlight).toBe(1); // A's fdatasync, held
    const b = Array.from({ length: 100 }, (_, i) => track(commit.append([{ b: i }])));
    await tick();
    expect(stats.writes).toBe(2); // B written while A's sync is held
    expect(stats.writesDuringSync).toBe(1);
    expect(resolvedAt).toEqual([]);
    await release(); // A's sync
    expect(resolvedAt.map(([lsn]) => lsn)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(commit.durableLsn).toBe(100);
    expect(stats.inFlight).toBe(1); // B's sync started at once, before A's appends were resolved
    await release(); // B's sync
    expect(await Promise.all([...a, ...b])).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(resolvedAt.every(([lsn, durable]) => lsn <= durable)).toBe(true);
    expect(resolvedAt.map(([lsn]) => lsn)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(stats.maxInFlight).toBe(1);
    expect(frames(base, segments).map(([lsn]) => lsn)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it("after a power cut, every resolved append is on disk (a write during an fdatasync is not covered by it)", async () => {
    const { base, segments, commit, release, tick } = await gatedSetup();
    const acked: number[] = [];
    for (let i = 0; i < 50; i++) void commit.append([{ i }]).then((lsn) => acked.push(lsn), () => undefined);
    await tick();
    for (let i = 50; i < 80; i++) void commit.append([{ i }]).then((lsn) => acked.push(lsn), () => undefined);
    await tick(); // second group written while the first sync is held
    await release();
    expect(acked).toHaveLength(50);
    base.powerLoss(); // what no fdatasync covered is dropped
    base.restart();
    const buf = Buffer.from(base.readFileSync(`${DIR}/${segments.list[0]!.name}`) ?? new Uint8Array());
    let last = 0;
    scanSegment(buf, { last: true, skip: false, prevLsn: 0, onFrame: (lsn, _s, _e, _o, count) => void (last = lsn + count - 1) });
    expect(last).toBeGreaterThanOrEqual(50);
  });

  it("an fdatasync error while the next group is written rejects both groups (fail-stop), nothing resolves", async () => {
    const { base, commit, release, tick, failures } = await gatedSetup();
    base.inject({ op: "fdatasync", errno: "EIO" });
    const outcomes: string[] = [];
    const all = Array.from({ length: 20 }, (_, i) => commit.append([{ i }]).then(() => outcomes.push("ok"), (e: PersistenceError) => outcomes.push(e.errno)));
    await tick();
    all.push(...Array.from({ length: 20 }, (_, i) => commit.append([{ j: i }]).then(() => outcomes.push("ok"), (e: PersistenceError) => outcomes.push(e.errno))));
    await tick();
    await release();
    await Promise.all(all);
    expect(outcomes).toEqual(Array.from({ length: 40 }, () => "EIO"));
    expect(failures).toHaveLength(1);
    await expect(commit.append([1])).rejects.toMatchObject({ errno: "FAIL_STOPPED" });
  });
});
