import { posix } from "node:path";
import { fsError, type DirEntry, type FsOp, type JournalFs, type OpenMode } from "./journal-fs";

/** What happens, at power loss, to data written but never synced. */
export type TrashMode = "drop" | "zeros" | "random" | "mixed";

/** One injected fault: the `nth` call (counted from now) of `op` fails, once or from then on. */
export interface FaultRule {
  readonly op: FsOp | "any";
  /** 1-based: the first matching call is 1. @default 1 */
  readonly nth?: number;
  /** Fail this call and every later matching one. @default false */
  readonly persistent?: boolean;
  /** Only calls whose path (or the fd's path) contains this string count. */
  readonly pathIncludes?: string;
  /** The errno to fail with (`EIO`, `ENOSPC`, `EROFS`, …). */
  readonly errno?: string;
  /** For `writev`: write only this many bytes and report that count (a short write). */
  readonly shortBytes?: number;
  /** Cut the power just before this call (the call and everything after it fails until `restart()`). */
  readonly powerLoss?: PowerLossOptions;
}

/** How a simulated power loss treats unsynced data. */
export interface PowerLossOptions {
  /** @default "drop" (keep only synced bytes) */
  readonly trash?: TrashMode;
  /** Random source in [0, 1) for trashing decisions. @default Math.random */
  readonly random?: () => number;
}

/** Options of {@link createFaultFs}. */
export interface FaultFsOptions {
  /** Simulate a build that never fsyncs directories (a mutation the power-loss tests must catch). */
  readonly dropDirSync?: boolean;
  /** Sector size used when trashing unsynced writes. @default 512 */
  readonly sectorBytes?: number;
}

/**
 * An in-memory {@link JournalFs} that remembers what was synced: fault
 * injection (errno on the n-th call, short writes), `kill()` (a process crash:
 * written data survives) and `powerLoss()` (only fsynced file contents and
 * dir-synced entries survive; unsynced sectors optionally trashed).
 */
export interface FaultFs extends JournalFs {
  /** Adds a fault rule; returns a function that removes it. */
  inject(rule: FaultRule): () => void;
  /** Removes every fault rule. */
  clearFaults(): void;
  /** Simulates kill -9: written data stays, open fds die, every call fails until `restart()`. */
  kill(): void;
  /** Simulates power loss: unsynced data and unsynced directory entries are lost; every call fails until `restart()`. */
  powerLoss(options?: PowerLossOptions): void;
  /** Boots the file system again after `kill()`/`powerLoss()`. */
  restart(): void;
  /** How many times each operation was called. */
  readonly calls: Readonly<Record<string, number>>;
  /** Test helpers (no faults, no durability rules). */
  readFileSync(path: string): Uint8Array | undefined;
  writeFileSync(path: string, data: Uint8Array): void;
  symlinkSync(target: string, path: string): void;
  listSync(dir: string): string[];
  unlinkSync(path: string): void;
}

interface Inode {
  data: Uint8Array;
  size: number;
  durable: Uint8Array;
  unsynced: [offset: number, length: number][];
}
type Node = { kind: "file"; inode: Inode } | { kind: "dir" } | { kind: "symlink"; target: string };
interface Dir {
  entries: Map<string, Node>;
  durable: Map<string, Node>;
}
interface Handle {
  inode: Inode;
  path: string;
  writable: boolean;
  boot: number;
}

let instances = 0;

// A real copy: Buffer#slice would return a view and let the caller's buffer alias the "disk".
const copy = (bytes: Uint8Array, start: number, end: number): Uint8Array => Uint8Array.prototype.slice.call(bytes, start, end);

/** Creates an in-memory {@link FaultFs}; paths are POSIX-style. */
export function createFaultFs(options: FaultFsOptions = {}): FaultFs {
  const sector = options.sectorBytes ?? 512;
  const id = ++instances;
  const dirs = new Map<string, Dir>([["/", { entries: new Map(), durable: new Map() }]]);
  const handles = new Map<number, Handle>();
  const rules: { rule: FaultRule; seen: number }[] = [];
  const calls: Record<string, number> = {};
  let nextFd = 3;
  let boot = 1;
  let frozen = false;

  const norm = (p: string): string => posix.resolve("/", p);
  const parent = (p: string): [Dir, string] => {
    const n = norm(p);
    const dir = dirs.get(posix.dirname(n));
    if (!dir) throw fsError("ENOENT", "lookup", p);
    return [dir, posix.basename(n)];
  };
  const handle = (fd: number, op: string): Handle => {
    const h = handles.get(fd);
    if (!h || h.boot !== boot) throw fsError("EBADF", op);
    return h;
  };

  // Counts the call against every rule and applies the first that fires.
  const gate = (op: FsOp, path: string): FaultRule | undefined => {
    calls[op] = (calls[op] ?? 0) + 1;
    if (frozen) throw fsError("EIO", op, path);
    let fired: FaultRule | undefined;
    for (const r of rules) {
      if (r.rule.op !== "any" && r.rule.op !== op) continue;
      if (r.rule.pathIncludes !== undefined && !path.includes(r.rule.pathIncludes)) continue;
      r.seen++;
      const nth = r.rule.nth ?? 1;
      if (fired === undefined && (r.seen === nth || (r.rule.persistent === true && r.seen > nth))) fired = r.rule;
    }
    if (fired?.powerLoss) {
      api.powerLoss(fired.powerLoss);
      throw fsError("EIO", op, path);
    }
    if (fired?.errno !== undefined) throw fsError(fired.errno, op, path);
    return fired;
  };

  const ensure = (inode: Inode, size: number): void => {
    if (inode.data.length >= size) return;
    const grown = new Uint8Array(Math.max(size, inode.data.length * 2, 256));
    grown.set(inode.data.subarray(0, inode.size));
    inode.data = grown;
  };
  const newInode = (): Inode => ({ data: new Uint8Array(0), size: 0, durable: new Uint8Array(0), unsynced: [] });
  const sync = (inode: Inode): void => {
    inode.durable = copy(inode.data, 0, inode.size);
    inode.unsynced = [];
  };
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  // A sync takes effect at its end: if the power went out meanwhile, it did not happen.
  const settled = async (op: string, path: string): Promise<void> => {
    const started = boot;
    await tick();
    if (frozen || boot !== started) throw fsError("EIO", op, path);
  };

  const api: FaultFs = {
    get identity() {
      return `fault-${id}-boot-${boot}`;
    },
    get calls() {
      return calls;
    },
    async mkdir(path) {
      gate("mkdir", path);
      const n = norm(path);
      const parts = n.split("/").filter(Boolean);
      let cur = "/";
      for (const part of parts) {
        const next = posix.join(cur, part);
        const dir = dirs.get(cur)!;
        const existing = dir.entries.get(part);
        if (existing && existing.kind !== "dir") throw fsError("ENOTDIR", "mkdir", next);
        if (!existing) {
          // Directory creation is treated as durable at once; the journal's own durability steps are about files.
          dir.entries.set(part, { kind: "dir" });
          dir.durable.set(part, { kind: "dir" });
          dirs.set(next, { entries: new Map(), durable: new Map() });
        }
        cur = next;
      }
      await tick();
    },
    async readdir(path) {
      gate("readdir", path);
      const dir = dirs.get(norm(path));
      if (!dir) throw fsError("ENOENT", "readdir", path);
      await tick();
      return [...dir.entries].map(([name, node]): DirEntry => ({ name, type: node.kind === "dir" ? "directory" : node.kind === "symlink" ? "symlink" : "file" }));
    },
    async open(path, mode: OpenMode) {
      gate("open", path);
      const [dir, name] = parent(path);
      let node = dir.entries.get(name);
      if (node?.kind === "symlink") throw fsError("ELOOP", "open", path);
      if (node?.kind === "dir") throw fsError("EISDIR", "open", path);
      if (mode === "createExclusive" && node) throw fsError("EEXIST", "open", path);
      if (!node) {
        if (mode === "read" || mode === "readWrite") throw fsError("ENOENT", "open", path);
        node = { kind: "file", inode: newInode() };
        dir.entries.set(name, node);
      } else if (mode === "create") {
        node.inode.size = 0;
        node.inode.unsynced.push([0, 0]);
      }
      const fd = nextFd++;
      handles.set(fd, { inode: node.inode, path: norm(path), writable: mode !== "read", boot });
      await tick();
      return fd;
    },
    async writev(fd, buffers, position) {
      const h = handle(fd, "writev");
      const rule = gate("writev", h.path);
      if (!h.writable) throw fsError("EBADF", "writev", h.path);
      let total = 0;
      for (const b of buffers) total += b.byteLength;
      const n = rule?.shortBytes !== undefined ? Math.min(rule.shortBytes, total) : total;
      const inode = h.inode;
      ensure(inode, position + n);
      let at = position;
      let left = n;
      for (const b of buffers) {
        if (left === 0) break;
        const take = Math.min(left, b.byteLength);
        inode.data.set(b.subarray(0, take), at);
        at += take;
        left -= take;
      }
      if (position > inode.size) inode.data.fill(0, inode.size, position);
      inode.size = Math.max(inode.size, position + n);
      if (n > 0) inode.unsynced.push([position, n]);
      await tick();
      return n;
    },
    async read(fd, buffer, offset, length, position) {
      const h = handle(fd, "read");
      gate("read", h.path);
      const n = Math.max(0, Math.min(length, h.inode.size - position));
      buffer.set(h.inode.data.subarray(position, position + n), offset);
      await tick();
      return n;
    },
    async size(fd) {
      const h = handle(fd, "size");
      gate("size", h.path);
      await tick();
      return h.inode.size;
    },
    async fdatasync(fd) {
      const h = handle(fd, "fdatasync");
      gate("fdatasync", h.path);
      await settled("fdatasync", h.path);
      sync(h.inode);
    },
    async fsync(fd) {
      const h = handle(fd, "fsync");
      gate("fsync", h.path);
      await settled("fsync", h.path);
      sync(h.inode);
    },
    async ftruncate(fd, length) {
      const h = handle(fd, "ftruncate");
      gate("ftruncate", h.path);
      ensure(h.inode, length);
      if (length > h.inode.size) h.inode.data.fill(0, h.inode.size, length);
      h.inode.size = length;
      h.inode.unsynced.push([length, 0]);
      await tick();
    },
    async close(fd) {
      const h = handles.get(fd);
      gate("close", h?.path ?? "");
      if (!h || h.boot !== boot) throw fsError("EBADF", "close");
      handles.delete(fd);
      await tick();
    },
    async readFile(path) {
      gate("readFile", path);
      const [dir, name] = parent(path);
      const node = dir.entries.get(name);
      if (!node) throw fsError("ENOENT", "readFile", path);
      if (node.kind === "symlink") throw fsError("ELOOP", "readFile", path);
      if (node.kind === "dir") throw fsError("EISDIR", "readFile", path);
      await tick();
      return copy(node.inode.data, 0, node.inode.size);
    },
    async rename(from, to) {
      gate("rename", from);
      const [fd, fname] = parent(from);
      const [td, tname] = parent(to);
      const node = fd.entries.get(fname);
      if (!node) throw fsError("ENOENT", "rename", from);
      fd.entries.delete(fname);
      td.entries.set(tname, node);
      await tick();
    },
    async link(from, to) {
      gate("link", from);
      const [fd, fname] = parent(from);
      const [td, tname] = parent(to);
      const node = fd.entries.get(fname);
      if (!node) throw fsError("ENOENT", "link", from);
      if (td.entries.has(tname)) throw fsError("EEXIST", "link", to);
      td.entries.set(tname, node);
      await tick();
    },
    async unlink(path) {
      gate("unlink", path);
      const [dir, name] = parent(path);
      if (!dir.entries.has(name)) throw fsError("ENOENT", "unlink", path);
      dir.entries.delete(name);
      await tick();
    },
    async syncDir(path) {
      gate("syncDir", path);
      const dir = dirs.get(norm(path));
      if (!dir) throw fsError("ENOENT", "syncDir", path);
      await settled("syncDir", path);
      if (options.dropDirSync !== true) dir.durable = new Map(dir.entries);
    },
    inject(rule) {
      const entry = { rule, seen: 0 };
      rules.push(entry);
      return () => {
        const i = rules.indexOf(entry);
        if (i >= 0) rules.splice(i, 1);
      };
    },
    clearFaults() {
      rules.length = 0;
    },
    kill() {
      frozen = true;
      boot++;
    },
    powerLoss(opts = {}) {
      const trash = opts.trash ?? "drop";
      const random = opts.random ?? Math.random;
      const seen = new Set<Inode>();
      for (const dir of dirs.values()) {
        dir.entries = new Map(dir.durable);
        for (const node of dir.entries.values()) if (node.kind === "file") seen.add(node.inode);
      }
      for (const inode of seen) {
        const out = { data: copy(inode.durable, 0, inode.durable.length), size: inode.durable.length };
        if (trash !== "drop") {
          for (const [offset, length] of inode.unsynced) {
            if (length === 0) continue;
            const pick = trash === "mixed" ? Math.floor(random() * 4) : trash === "zeros" ? 2 : 3;
            if (pick === 1) continue; // this write never reached the disk
            const start = pick === 0 ? offset : Math.floor(offset / sector) * sector;
            const end = pick === 0 ? offset + length : Math.ceil((offset + length) / sector) * sector;
            if (end > out.data.length) {
              const grown = new Uint8Array(end);
              grown.set(out.data);
              out.data = grown;
            }
            if (pick === 0) out.data.set(inode.data.subarray(offset, offset + length), offset);
            else if (pick === 2) out.data.fill(0, start, end);
            else for (let i = start; i < end; i++) out.data[i] = Math.floor(random() * 256);
            out.size = Math.max(out.size, end);
          }
        }
        inode.data = out.data;
        inode.size = out.size;
        inode.durable = copy(out.data, 0, out.size);
        inode.unsynced = [];
      }
      frozen = true;
      boot++;
    },
    restart() {
      frozen = false;
      handles.clear();
    },
    readFileSync(path) {
      const [dir, name] = parent(path);
      const node = dir.entries.get(name);
      return node?.kind === "file" ? copy(node.inode.data, 0, node.inode.size) : undefined;
    },
    writeFileSync(path, data) {
      const [dir, name] = parent(path);
      const existing = dir.entries.get(name);
      const inode = existing?.kind === "file" ? existing.inode : newInode();
      inode.data = copy(data, 0, data.length);
      inode.size = data.length;
      sync(inode);
      dir.entries.set(name, { kind: "file", inode });
      dir.durable.set(name, { kind: "file", inode });
    },
    symlinkSync(target, path) {
      const [dir, name] = parent(path);
      dir.entries.set(name, { kind: "symlink", target });
      dir.durable.set(name, { kind: "symlink", target });
    },
    listSync(dir) {
      return [...(dirs.get(norm(dir))?.entries.keys() ?? [])].sort();
    },
    unlinkSync(path) {
      const [dir, name] = parent(path);
      dir.entries.delete(name);
      dir.durable.delete(name);
    },
  };
  return api;
}
