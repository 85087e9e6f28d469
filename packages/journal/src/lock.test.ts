import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DataDirLockedError} from "@mq/core";
import { MqError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { RecordingHandler } from "../test/helpers";
import { tempRoot } from "../test/tmp-dir";
import { createFilePersistence } from "./file-persistence";
import { createFaultFs } from "./fs/fault-fs";

const root = tempRoot("lock");
let n = 0;
const dir = () => join(root, `d${++n}`);
const open = async (dataDir: string) => {
  const p = createFilePersistence({ dataDir, snapshotEveryMs: 0 });
  await p.open(new RecordingHandler());
  return p;
};
// The pid of a process that has already exited.
const deadPid = (): number => Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString());

describe("LOCK", () => {
  it("a second journal in the same process fails with DataDirLockedError naming this pid", async () => {
    const d = dir();
    const first = await open(d);
    const err = await open(d).then(() => undefined, (e: unknown) => e);
    expect(MqError.hasCode(err, "MQ_DATA_DIR_LOCKED")).toBe(true);
    expect((err as DataDirLockedError).pid).toBe(process.pid);
    expect((err as Error).message).toContain(String(process.pid));
    await first.close();
    const again = await open(d);
    await again.close();
  });

  it("concurrent opens in one process: exactly one wins", async () => {
    const d = dir();
    const ps = Array.from({ length: 8 }, () => createFilePersistence({ dataDir: d, snapshotEveryMs: 0 }));
    const results = await Promise.allSettled(ps.map((p) => p.open(new RecordingHandler())));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(MqError.hasCode(r.reason, "MQ_DATA_DIR_LOCKED")).toBe(true);
    await ps[results.findIndex((r) => r.status === "fulfilled")]!.close();
  });

  it("a stale lock of a dead pid is taken over", async () => {
    const d = dir();
    (await open(d)).close().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
    const pid = deadPid();
    writeFileSync(join(d, "LOCK"), JSON.stringify({ pid, nonce: "dead", start: null }));
    const p = await open(d);
    await p.close();
  });

  it("a reused pid (a live process with another start time) does not block", async () => {
    const d = dir();
    const p0 = await open(d);
    await p0.close();
    writeFileSync(join(d, "LOCK"), JSON.stringify({ pid: process.ppid, nonce: "old", start: "1" }));
    const p = await open(d);
    await p.close();
  });

  it("a live holder in another process blocks, naming its pid", async () => {
    const d = dir();
    const p0 = await open(d);
    await p0.close();
    writeFileSync(join(d, "LOCK"), JSON.stringify({ pid: process.ppid, nonce: "live", start: null }));
    const err = await open(d).then(() => undefined, (e: unknown) => e);
    expect((err as DataDirLockedError).pid).toBe(process.ppid);
  });

  it("an unreadable (garbage) lock is stale", async () => {
    const d = dir();
    const p0 = await open(d);
    await p0.close();
    writeFileSync(join(d, "LOCK"), "");
    const p = await open(d);
    await p.close();
  });

  it("a leftover takeover marker of a dead taker does not wedge the folder", async () => {
    const fs = createFaultFs();
    const p0 = createFilePersistence({ dataDir: "/d", fs });
    await p0.open(new RecordingHandler());
    await p0.close();
    const dead = Buffer.from(JSON.stringify({ pid: 999_999_999, nonce: "x", start: null }));
    fs.writeFileSync("/d/LOCK", dead);
    fs.writeFileSync("/d/LOCK.takeover", dead);
    const p = createFilePersistence({ dataDir: "/d", fs });
    await p.open(new RecordingHandler());
    expect(fs.listSync("/d")).toContain("LOCK");
    await p.close();
    expect(fs.listSync("/d").filter((f) => f.startsWith("LOCK"))).toEqual([]);
  });
});
