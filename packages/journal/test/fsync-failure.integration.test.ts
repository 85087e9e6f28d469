import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordingHandler } from "@mq/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFilePersistence } from "../src/file-persistence";
import { parseReady, requireDist, spawnFixture } from "./child";

const root = mkdtempSync(join(tmpdir(), "mq-journal-fsync-"));
beforeAll(requireDist);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hasStrace = spawnSync("strace", ["-V"]).status === 0;
const isRoot = process.getuid?.() === 0;

describe.skipIf(!hasStrace)("F3: a real fdatasync failure (strace -e inject)", () => {
  if (!hasStrace) console.warn("F3 skipped: strace is not installed (apt-get install -y strace)");
  for (const n of [1, 2, 10, 100]) {
    it(`EIO on fdatasync #${n}: fail-stop, nothing acknowledged afterwards, acknowledged data recovered`, async () => {
      const dataDir = join(root, `f3-${n}`);
      const child = spawnFixture("append-child.mjs", { dataDir, concurrency: 4, maxOps: 20_000, close: false }, {}, {
        file: "strace",
        args: ["-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync", "-e", `inject=fdatasync:error=EIO:when=${n}`],
      });
      await child.exited;
      const error = child.lines.find((l) => l.startsWith("error "));
      expect(error, child.lines.slice(-3).join(" | ")).toBe("error EIO");
      const errorAt = child.lines.indexOf(error!);
      expect(child.lines.slice(errorAt).some((l) => l.startsWith("ack "))).toBe(false);
      expect(child.lines.find((l) => l.startsWith("done"))).toMatch(/okAfterFailure=0$/);
      const acked = Math.max(0, ...child.acked());
      const verify = spawnFixture("append-child.mjs", { dataDir, maxOps: 0 });
      const ready = parseReady(await verify.waitFor("ready"));
      await verify.exited;
      expect(ready.ok).toBe(true);
      expect(ready.count).toBeGreaterThanOrEqual(acked);
    });
  }
});

/** Mounts a size-limited tmpfs at `dir`; false when this machine does not allow it. */
function mountTmpfs(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]).status === 0;
}
const canMount = isRoot && mountTmpfs(join(root, "probe"), "64k") && spawnSync("umount", [join(root, "probe")]).status === 0;

describe.skipIf(!canMount)("D1/D2: a real full disk (tmpfs, root only)", () => {
  if (!canMount) console.warn("D1/D2 skipped: needs root and permission to mount a tmpfs");

  it("D1: ENOSPC on the journal fail-stops; after freeing space, recovery holds every acknowledged op", async () => {
    for (let round = 0; round < (process.env.MQ_LONG ? 10 : 3); round++) {
      const mnt = join(root, `d1-${round}`);
      expect(mountTmpfs(mnt, "512k")).toBe(true);
      try {
        const dataDir = join(mnt, "data");
        const child = spawnFixture("append-child.mjs", { dataDir, concurrency: 4, payloadBytes: 300, maxOps: 100_000, close: false, segmentBytes: 128 * 1024 });
        await child.exited;
        expect(child.lines.find((l) => l.startsWith("error ")), child.lines.slice(-3).join(" | ")).toBe("error ENOSPC");
        expect(child.lines.find((l) => l.startsWith("done"))).toMatch(/okAfterFailure=0$/);
        const acked = Math.max(0, ...child.acked());
        execFileSync("mount", ["-o", "remount,size=4m", mnt]);
        const verify = spawnFixture("append-child.mjs", { dataDir, maxOps: 0 });
        const ready = parseReady(await verify.waitFor("ready"));
        await verify.exited;
        expect(ready.ok).toBe(true);
        expect(ready.count).toBeGreaterThanOrEqual(acked);
      } finally {
        spawnSync("umount", [mnt]);
      }
    }
  });

  it("D2: a snapshot that does not fit fails alone: temp removed, old snapshot and segments kept, appends go on", async () => {
    const mnt = join(root, "d2");
    expect(mountTmpfs(mnt, "1m")).toBe(true);
    try {
      const dataDir = join(mnt, "data");
      const h = new RecordingHandler();
      const p = createFilePersistence({ dataDir, segmentBytes: 16 * 1024, snapshotEveryMs: 0, snapshotOnClose: false });
      const errors: unknown[] = [];
      p.events.on("error", (e) => errors.push(e));
      await p.open(h);
      for (let n = 1; n <= 100; n++) {
        h.ops.push({ n });
        await p.append([{ n, pad: "x".repeat(500) }]);
      }
      await p.snapshot();
      const snapsBefore = execFileSync("ls", [join(dataDir, "snapshots")]).toString();
      const segsBefore = execFileSync("ls", [join(dataDir, "journal")]).toString();
      const big = { meta: null, items: Array.from({ length: 3000 }, (_, i) => ({ i, blob: "y".repeat(1000) })) };
      h.capture = () => big;
      await expect(p.snapshot()).rejects.toMatchObject({ errno: "ENOSPC" });
      expect(execFileSync("ls", [join(dataDir, "snapshots")]).toString()).toBe(snapsBefore);
      expect(execFileSync("ls", [join(dataDir, "journal")]).toString()).toBe(segsBefore);
      expect(await p.append([{ n: 101 }])).toBe(101);
      expect(errors).toEqual([]);
      await p.close();
    } finally {
      spawnSync("umount", [mnt]);
    }
  });
});
