import { lstatSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RecordingHandler } from "../test/helpers";
import { tempRoot } from "../test/tmp-dir";
import { createFilePersistence } from "./file-persistence";
import type { JournalFs } from "./fs/journal-fs";
import { nodeFs } from "./fs/node-fs";

// Payloads may hold private data (checklist PP1): the journal creates its
// folders 0700 and its files 0600. The process umask can only remove bits,
// so the checks are "no group or other bits", whatever the umask.
const root = tempRoot("modes");

/** Every file and folder under `dir` (itself included), with its permission bits. */
function modesUnder(dir: string): Map<string, number> {
  const out = new Map<string, number>([[dir, statSync(dir).mode & 0o777]]);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) for (const [p, m] of modesUnder(path)) out.set(p, m);
    else out.set(path, lstatSync(path).mode & 0o777);
  }
  return out;
}

/** nodeFs, noting the mode of every file and folder it creates at the moment it creates it (temp files are gone later). */
function recordingFs(seen: Map<string, number>): JournalFs {
  return {
    ...nodeFs,
    async mkdir(path) {
      await nodeFs.mkdir(path);
      seen.set(path, statSync(path).mode & 0o777);
    },
    async open(path, mode) {
      const fd = await nodeFs.open(path, mode);
      if (mode === "create" || mode === "createExclusive") seen.set(path, statSync(path).mode & 0o777);
      return fd;
    },
  };
}

async function writeAndSnapshot(dataDir: string, fs: JournalFs): Promise<Map<string, number>> {
  const p = createFilePersistence({ dataDir, fs, segmentBytes: 4096, snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
  const h = new RecordingHandler();
  await p.open(h);
  for (let n = 1; n <= 200; n++) {
    h.ops.push({ n, secret: "card 4111 1111 1111 1111" });
    await p.append([{ n, secret: "card 4111 1111 1111 1111" }]);
  }
  await p.snapshot();
  // While open: LOCK, segments and the snapshot are all on disk.
  const onDisk = modesUnder(dataDir);
  await p.close();
  return onDisk;
}

const noGroupOrOther = (modes: Map<string, number>) => [...modes].filter(([, mode]) => (mode & 0o077) !== 0).map(([path, mode]) => `${path} ${mode.toString(8)}`);

describe("PP1: file and folder modes", () => {
  it("a fresh data folder, its subfolders and every file the journal creates (segments, snapshots, LOCK, temp files) have no group or other bits", async () => {
    const dataDir = join(root, "fresh", "data");
    const created = new Map<string, number>();
    const onDisk = await writeAndSnapshot(dataDir, recordingFs(created));
    const names = [...created.keys()].map((p) => p.slice(dataDir.length + 1));
    expect(names).toEqual(expect.arrayContaining(["", "journal", "snapshots", expect.stringMatching(/^LOCK\..*\.tmp$/), expect.stringMatching(/^journal\/\d+\.seg$/), expect.stringMatching(/^snapshots\/snap-\d+\.snap\.tmp$/)]));
    expect([...onDisk.keys()].map((p) => p.slice(dataDir.length + 1))).toEqual(expect.arrayContaining(["LOCK", expect.stringMatching(/^journal\/\d+\.seg$/), expect.stringMatching(/^snapshots\/snap-\d+\.snap$/)]));
    expect(noGroupOrOther(created)).toEqual([]);
    expect(noGroupOrOther(onDisk)).toEqual([]);
    // mkdir -p: the parent the journal made for its data folder is private too.
    expect(statSync(join(root, "fresh")).mode & 0o077).toBe(0);
  });

  it("leaves the mode of a data folder the user created alone", async () => {
    const dataDir = join(root, "mine");
    mkdirSync(dataDir, { mode: 0o750 });
    const before = statSync(dataDir).mode & 0o777;
    const onDisk = await writeAndSnapshot(dataDir, nodeFs);
    expect(statSync(dataDir).mode & 0o777).toBe(before);
    onDisk.delete(dataDir);
    expect(noGroupOrOther(onDisk)).toEqual([]);
  });
});
