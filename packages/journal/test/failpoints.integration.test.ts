import { appendFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAILPOINT_NAMES } from "../src/failpoints";
import { parseReady, requireDist, spawnFixture } from "./child";

const LONG = Boolean(process.env.MQ_LONG);
// MQ_QUICK (the extra Node versions in CI): each failpoint at its first hit only; the full set runs on the main Node.
const QUICK = process.env.MQ_QUICK === "1";
const root = mkdtempSync(join(tmpdir(), "mq-journal-fp-"));
beforeAll(requireDist);
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A workload that passes every failpoint: small segments (rolls), frequent snapshots (compaction), a clean close.
const workload = (dataDir: string) => ({ dataDir, concurrency: 4, maxOps: 600, segmentBytes: 4096, snapshotEveryOps: 150 });
// Points that a process passes at most once.
const ONCE = new Set(["recovery.afterTruncate", "recovery.afterReplay", "lock.afterCreate", "lock.takeover.midway", "close.beforeFinalSnapshot"]);

/** Leaves the folder so the next opener passes `name`: a torn tail for recovery, a stale or absent LOCK for the lock points. */
async function prepare(dataDir: string, name: string): Promise<number> {
  const leaveLock = name === "lock.takeover.midway";
  const setup = spawnFixture("append-child.mjs", { ...workload(dataDir), maxOps: 20, close: !leaveLock });
  await setup.exited;
  const acked = Math.max(0, ...setup.acked());
  if (name === "recovery.afterTruncate") {
    const segs = readdirSync(join(dataDir, "journal")).sort();
    appendFileSync(join(dataDir, "journal", segs[segs.length - 1]!), Buffer.from([1, 2, 3, 4, 5, 6, 7]));
  }
  return acked;
}

describe("C3: SIGKILL at every named failpoint", () => {
  it("after each kill the next recovery holds every acknowledged op, with no gap", async () => {
    const problems: string[] = [];
    const neverHit: string[] = [];
    let i = 0;
    for (const name of FAILPOINT_NAMES) {
      const hits = ONCE.has(name) || QUICK ? [1] : LONG ? [1, 2, 3, 7, 1 + Math.floor(Math.random() * 50)] : [1, 3];
      for (const k of hits) {
        const dataDir = join(root, `fp-${i++}`);
        const before = await prepare(dataDir, name);
        const victim = spawnFixture("append-child.mjs", workload(dataDir), { MQ_FAILPOINT: `${name}:${k}` });
        const exit = await victim.exited;
        if (exit.signal !== "SIGKILL") {
          if (k === 1) neverHit.push(name);
          continue;
        }
        const acked = Math.max(before, ...victim.acked());
        for (let round = 0; round < 2; round++) {
          const verify = spawnFixture("append-child.mjs", { ...workload(dataDir), maxOps: 0 });
          const ready = parseReady(await verify.waitFor("ready"));
          await verify.exited;
          if (!ready.ok) problems.push(`${name}:${k}: ${ready.detail}`);
          if (ready.count < acked) problems.push(`${name}:${k}: recovered ${ready.count} < acknowledged ${acked}`);
          // C6: a second recovery finds nothing more to cut.
          if (round === 1 && ready.truncated > 0) problems.push(`${name}:${k}: truncation repeated`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(neverHit).toEqual([]);
  });
});

describe("C6: crash during recovery", () => {
  it("killed after the truncation and after the replay, recovery twice gives the same state", async () => {
    for (const name of ["recovery.afterTruncate", "recovery.afterReplay"]) {
      for (let round = 0; round < (LONG ? 25 : QUICK ? 2 : 5); round++) {
        const dataDir = join(root, `c6-${name}-${round}`);
        await prepare(dataDir, "recovery.afterTruncate");
        const victim = spawnFixture("append-child.mjs", workload(dataDir), { MQ_FAILPOINT: `${name}:1` });
        expect((await victim.exited).signal).toBe("SIGKILL");
        const counts: number[] = [];
        const truncated: number[] = [];
        for (let j = 0; j < 2; j++) {
          const verify = spawnFixture("append-child.mjs", { ...workload(dataDir), maxOps: 0, snapshotOnClose: false });
          const ready = parseReady(await verify.waitFor("ready"));
          await verify.exited;
          expect(ready.ok).toBe(true);
          counts.push(ready.count);
          truncated.push(ready.truncated);
        }
        expect(counts[0]).toBe(counts[1]);
        expect(counts[0]).toBe(20);
        expect(truncated).toEqual([0, 0]);
      }
    }
  });
});
