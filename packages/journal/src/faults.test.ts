import { MqError, type PersistenceError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { ns, RecordingHandler, tryOpen } from "../test/helpers";
import { checkRecovered, drain, rng, runWorkload } from "../test/workload";
import { createFilePersistence, type FilePersistence } from "./file-persistence";
import { createFaultFs, type FaultFs, type FaultRule } from "./fs/fault-fs";

const DIR = "/data";

async function openFresh(fs: FaultFs, extra: Partial<Parameters<typeof createFilePersistence>[0]> = {}) {
  const p = createFilePersistence({ dataDir: DIR, fs, segmentBytes: 2048, snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false, ...extra });
  const h = new RecordingHandler();
  const errors: unknown[] = [];
  p.events.on("error", (e) => errors.push(e));
  await p.open(h);
  return { p, h, errors };
}

/** Runs a workload with one fault injected, then "restarts the process" and checks what recovery finds. */
async function faultRun(rule: FaultRule, seed: number, opts: { restart?: "kill" | "powerLoss"; total?: number } = {}) {
  const fs = createFaultFs();
  const { p, h, errors } = await openFresh(fs);
  fs.inject(rule);
  const result = await runWorkload(p, h, { total: opts.total ?? 150, random: rng(seed), snapshotEvery: 25 });
  // No append may succeed after the first failure.
  const firstFail = result.settled.findIndex((s) => !s.ok);
  const afterFail = firstFail < 0 ? [] : result.settled.slice(firstFail);
  await drain();
  if (opts.restart === "powerLoss") fs.powerLoss();
  else fs.kill();
  fs.restart();
  fs.clearFaults();
  const r = await tryOpen({ dataDir: DIR, fs });
  if ("error" in r) throw r.error;
  const problem = checkRecovered(ns(r.h), result.invoked, result.acked);
  await r.p.close();
  return { result, errors, firstFail, afterFail, problem, p };
}

function expectFailStop(run: Awaited<ReturnType<typeof faultRun>>, errno: string) {
  expect(run.firstFail).toBeGreaterThanOrEqual(0);
  expect(run.afterFail.every((s) => !s.ok)).toBe(true);
  expect(run.afterFail[0]!.errno).toBe(errno);
  expect(run.afterFail.every((s) => s.errno === errno || s.errno === "FAIL_STOPPED")).toBe(true);
  expect(run.errors).toHaveLength(1);
  expect((run.errors[0] as PersistenceError).errno).toBe(errno);
  expect(MqError.hasCode(run.errors[0], "MQ_PERSISTENCE")).toBe(true);
  expect(run.problem).toBeUndefined();
}

describe("F1: EIO on the N-th fdatasync", () => {
  it("fail-stops for N = 1..50: covered appends reject with EIO, every later one FAIL_STOPPED, acked data survives", async () => {
    for (let n = 1; n <= 50; n++) {
      const run = await faultRun({ op: "fdatasync", nth: n, errno: "EIO" }, n, { total: 5000 });
      expectFailStop(run, "EIO");
      await expect(run.p.append([{ n: -1 }])).rejects.toMatchObject({ errno: "FAIL_STOPPED" });
      await expect(run.p.snapshot()).rejects.toMatchObject({ errno: "FAIL_STOPPED" });
    }
  });

  it("also holds when the restart is a power loss", async () => {
    for (let n = 1; n <= 20; n++) expectFailStop(await faultRun({ op: "fdatasync", nth: n, errno: "EIO" }, 100 + n, { restart: "powerLoss", total: 5000 }), "EIO");
  });
});

describe("F2: write, directory-sync, rename and unlink failures", () => {
  for (const errno of ["EIO", "ENOSPC", "EROFS"]) {
    it(`${errno} on the N-th write fail-stops`, async () => {
      for (const n of [1, 2, 5, 17]) expectFailStop(await faultRun({ op: "writev", nth: n, errno, pathIncludes: "journal" }, n), errno);
    });
  }

  it("EROFS on fdatasync fail-stops with EROFS", async () => {
    expectFailStop(await faultRun({ op: "fdatasync", nth: 3, errno: "EROFS" }, 7), "EROFS");
  });

  it("a short write that cannot be completed fail-stops and leaves a torn tail recovery cuts", async () => {
    const fs = createFaultFs();
    const { p, h, errors } = await openFresh(fs);
    await p.append([{ n: 1 }]);
    h.ops.push({ n: 1 });
    fs.inject({ op: "writev", nth: 1, shortBytes: 10, pathIncludes: "journal" });
    fs.inject({ op: "writev", nth: 2, errno: "EIO", pathIncludes: "journal" });
    await expect(p.append([{ n: 2 }])).rejects.toMatchObject({ errno: "EIO" });
    expect(errors).toHaveLength(1);
    fs.kill();
    fs.restart();
    fs.clearFaults();
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(ns(r.h)).toEqual([1]);
    expect(r.report.truncated?.bytes).toBe(10);
    await r.p.close();
  });

  it("a short write that the next call completes is not an error", async () => {
    const fs = createFaultFs();
    const { p, errors } = await openFresh(fs);
    fs.inject({ op: "writev", nth: 1, shortBytes: 5, pathIncludes: "journal" });
    expect(await p.append([{ n: 1 }, { n: 2 }])).toBe(1);
    expect(await p.append([{ n: 3 }])).toBe(2);
    expect(errors).toEqual([]);
    await p.close();
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(ns(r.h)).toEqual([1, 2, 3]);
    await r.p.close();
  });

  it("EIO on the directory fsync of a new segment fail-stops before anything in it is acknowledged", async () => {
    // Enough ops that the 2 KiB segment rolls (group frames pack small ops tightly).
    const run = await faultRun({ op: "syncDir", nth: 1, errno: "EIO", pathIncludes: "journal" }, 3, { restart: "powerLoss", total: 1000 });
    expectFailStop(run, "EIO");
  });

  it("a failed snapshot rename leaves the old snapshot and every segment, and the journal keeps going", async () => {
    const fs = createFaultFs();
    const { p, h, errors } = await openFresh(fs, { keepSnapshots: 1 });
    for (let i = 1; i <= 60; i++) {
      h.ops.push({ n: i });
      await p.append([{ n: i }]);
    }
    await p.snapshot();
    const snapsBefore = fs.listSync(`${DIR}/snapshots`);
    const segsBefore = fs.listSync(`${DIR}/journal`);
    for (let i = 61; i <= 120; i++) {
      h.ops.push({ n: i });
      await p.append([{ n: i }]);
    }
    const failed: unknown[] = [];
    p.events.on("snapshotFailed", (e) => failed.push(e));
    fs.inject({ op: "rename", nth: 1, errno: "EIO" });
    await expect(p.snapshot()).rejects.toMatchObject({ code: "MQ_PERSISTENCE", errno: "EIO" });
    expect(failed).toHaveLength(1);
    expect(fs.listSync(`${DIR}/snapshots`)).toEqual(snapsBefore);
    expect(fs.listSync(`${DIR}/journal`).slice(0, segsBefore.length)).toEqual(segsBefore);
    expect(await p.append([{ n: 121 }])).toBe(121);
    h.ops.push({ n: 121 });
    expect(errors).toEqual([]);
    await p.close();
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(ns(r.h)).toEqual(Array.from({ length: 121 }, (_, i) => i + 1));
    await r.p.close();
  });

  it("D2 (FaultFs): ENOSPC while writing the snapshot removes the temp file and is not a journal failure", async () => {
    const fs = createFaultFs();
    const { p, h, errors } = await openFresh(fs);
    for (let i = 1; i <= 30; i++) {
      h.ops.push({ n: i });
      await p.append([{ n: i }]);
    }
    await p.snapshot();
    const before = fs.listSync(`${DIR}/snapshots`);
    fs.inject({ op: "writev", nth: 1, errno: "ENOSPC", pathIncludes: "snapshots", persistent: true });
    await expect(p.snapshot()).rejects.toMatchObject({ errno: "ENOSPC" });
    expect(fs.listSync(`${DIR}/snapshots`)).toEqual(before);
    expect(await p.append([{ n: 31 }])).toBe(31);
    expect(errors).toEqual([]);
    await p.close();
  });

  it("a failed unlink during compaction is not fatal and is retried by the next compaction", async () => {
    const fs = createFaultFs();
    const { p, h, errors } = await openFresh(fs, { keepSnapshots: 1 });
    const add = async (from: number, to: number) => {
      for (let i = from; i <= to; i++) {
        h.ops.push({ n: i });
        await p.append([{ n: i, pad: "x".repeat(100) }]);
      }
    };
    await add(1, 100);
    fs.inject({ op: "unlink", nth: 1, errno: "EIO", pathIncludes: "journal" });
    await p.snapshot();
    const segs = fs.listSync(`${DIR}/journal`).length;
    expect(segs).toBeGreaterThan(1);
    await add(101, 110);
    await p.snapshot();
    expect(fs.listSync(`${DIR}/journal`).length).toBeLessThan(segs);
    expect(errors).toEqual([]);
    await p.close();
  });

  it("close() after a fail-stop resolves and releases the lock; a new instance recovers", async () => {
    const fs = createFaultFs();
    const { p } = await openFresh(fs);
    await p.append([{ n: 1 }]);
    fs.inject({ op: "fdatasync", nth: 1, errno: "EIO" });
    await expect(p.append([{ n: 2 }])).rejects.toMatchObject({ errno: "EIO" });
    await p.close();
    expect(fs.listSync(DIR)).not.toContain("LOCK");
    const r = await tryOpen({ dataDir: DIR, fs });
    if ("error" in r) throw r.error;
    expect(ns(r.h)[0]).toBe(1);
    await r.p.close();
  });
});

export type { FilePersistence };
