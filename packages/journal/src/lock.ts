import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DataDirLockedError } from "@mq/core";
import { errnoOf, type JournalFs } from "./fs/journal-fs";
import type { FailpointHook } from "./failpoints";

/** The owner record stored in `LOCK`. */
interface Owner {
  readonly pid: number;
  readonly nonce: string;
  /** Process start time (from /proc), so a reused pid is not mistaken for the owner. */
  readonly start: string | null;
}

/** A held data-folder lock. */
export interface HeldLock {
  release(): Promise<void>;
}

// Folders locked by journals of this process; a second journal here must fail like a second process would.
const heldHere = new Set<string>();
const MAX_ATTEMPTS = 200;

/**
 * Takes `LOCK` in `dataDir`. The record is written to a private temp file and
 * linked into place (an exclusive create that never exposes a half-written
 * lock). A lock whose owner is dead is taken over under a `LOCK.takeover`
 * marker, so two processes taking over the same stale lock cannot both win.
 */
export async function acquireLock(fs: JournalFs, dataDir: string, failpoint: FailpointHook): Promise<HeldLock> {
  const key = `${fs.identity}:${resolve(dataDir)}`;
  if (heldHere.has(key)) throw new DataDirLockedError(dataDir, process.pid);
  heldHere.add(key);
  const me: Owner = { pid: process.pid, nonce: randomBytes(8).toString("hex"), start: startTimeOf(process.pid) };
  const lockPath = join(dataDir, "LOCK");
  const markerPath = join(dataDir, "LOCK.takeover");
  const tmp = join(dataDir, `LOCK.${me.pid}.${me.nonce}.tmp`);
  try {
    await writeRecord(fs, tmp, me);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await tryLink(fs, tmp, lockPath)) {
        failpoint("lock.afterCreate");
        await fs.syncDir(dataDir);
        await fs.unlink(tmp);
        return holder(fs, dataDir, lockPath, me, key);
      }
      const owner = await readOwner(fs, lockPath);
      if (owner === "missing") continue;
      if (owner !== "garbage" && isAlive(owner)) throw new DataDirLockedError(dataDir, owner.pid);
      // Stale: its owner died. Only the holder of the takeover marker may replace it.
      if (!(await tryLink(fs, tmp, markerPath))) {
        const taker = await readOwner(fs, markerPath);
        if (taker !== "missing" && taker !== "garbage" && isAlive(taker)) await sleep(10);
        else if (taker !== "missing") await removeQuietly(fs, markerPath, `${markerPath}.${me.nonce}.dead`);
        continue;
      }
      failpoint("lock.takeover.midway");
      const again = await readOwner(fs, lockPath);
      if (again === "missing" || again === "garbage" || (owner !== "garbage" && again.nonce === owner.nonce)) {
        await fs.rename(tmp, lockPath);
        await fs.syncDir(dataDir);
        await fs.unlink(markerPath).catch(() => undefined);
        const now = await readOwner(fs, lockPath);
        if (now !== "missing" && now !== "garbage" && now.nonce === me.nonce) return holder(fs, dataDir, lockPath, me, key);
        if (now !== "missing" && now !== "garbage") throw new DataDirLockedError(dataDir, now.pid);
        continue;
      }
      await fs.unlink(markerPath).catch(() => undefined);
    }
    throw new DataDirLockedError(dataDir, -1);
  } catch (error) {
    heldHere.delete(key);
    await fs.unlink(tmp).catch(() => undefined);
    throw error;
  }
}

/** True when `pid` names a live process that is the recorded one (not a reused pid). */
function isAlive(owner: Owner): boolean {
  if (owner.pid === process.pid) return false; // this process holds nothing here (checked above): a previous life's lock
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if (errnoOf(error) !== "EPERM") return false;
  }
  const start = startTimeOf(owner.pid);
  return owner.start === null || start === null || start === owner.start;
}

function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ')'; starttime is field 22.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function holder(fs: JournalFs, dataDir: string, lockPath: string, me: Owner, key: string): HeldLock {
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      try {
        const owner = await readOwner(fs, lockPath);
        if (owner !== "missing" && owner !== "garbage" && owner.nonce === me.nonce) {
          await fs.unlink(lockPath);
          await fs.syncDir(dataDir).catch(() => undefined);
        }
      } finally {
        heldHere.delete(key);
      }
    },
  };
}

async function writeRecord(fs: JournalFs, path: string, owner: Owner): Promise<void> {
  const fd = await fs.open(path, "createExclusive");
  try {
    const bytes = Buffer.from(JSON.stringify(owner) + "\n");
    await fs.writev(fd, [bytes], 0);
    await fs.fsync(fd);
  } finally {
    await fs.close(fd);
  }
}

async function readOwner(fs: JournalFs, path: string): Promise<Owner | "missing" | "garbage"> {
  let text: string;
  try {
    text = Buffer.from(await fs.readFile(path)).toString("utf8");
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return "missing";
    throw error;
  }
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    if (typeof o.pid === "number" && typeof o.nonce === "string") return { pid: o.pid, nonce: o.nonce, start: typeof o.start === "string" ? o.start : null };
  } catch {
    // fall through
  }
  return "garbage";
}

async function tryLink(fs: JournalFs, from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
    return true;
  } catch (error) {
    if (errnoOf(error) === "EEXIST") return false;
    throw error;
  }
}

// Moves a dead taker's marker aside before deleting it, so a live taker's new marker is never the one deleted by name.
async function removeQuietly(fs: JournalFs, path: string, aside: string): Promise<void> {
  try {
    await fs.rename(path, aside);
    await fs.unlink(aside);
  } catch {
    // another opener cleaned it up first
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
