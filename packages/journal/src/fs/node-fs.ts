import * as fs from "node:fs";
import type { DirEntry, JournalFs, OpenMode } from "./journal-fs";

const { O_RDONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW } = fs.constants;

const FLAGS: Record<OpenMode, number> = {
  read: O_RDONLY | O_NOFOLLOW,
  readWrite: O_RDWR | O_NOFOLLOW,
  create: O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW,
  createExclusive: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW,
};

// Payloads may hold private data: what the journal creates is for its owner
// only. The umask may remove more bits, never add any. Existing folders and
// files keep their modes (a data folder the user made is not chmod-ed).
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

// Callback API wrapped by hand: one promise per call and no FileHandle objects on the hot path.
function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

/** The real file system (node:fs), used by default. Creates folders 0700 and files 0600. */
export const nodeFs: JournalFs = {
  identity: "node",
  mkdir: (path) => call<string | undefined>((cb) => fs.mkdir(path, { recursive: true, mode: DIR_MODE }, cb)).then(() => undefined),
  readdir: (path) =>
    call<fs.Dirent[]>((cb) => fs.readdir(path, { withFileTypes: true }, cb)).then((entries) =>
      entries.map((e): DirEntry => ({ name: e.name, type: e.isFile() ? "file" : e.isDirectory() ? "directory" : e.isSymbolicLink() ? "symlink" : "other" })),
    ),
  open: (path, mode) => call<number>((cb) => fs.open(path, FLAGS[mode], FILE_MODE, cb)),
  writev: (fd, buffers, position) => call<number>((cb) => fs.writev(fd, buffers as NodeJS.ArrayBufferView[], position, cb)),
  read: (fd, buffer, offset, length, position) => call<number>((cb) => fs.read(fd, buffer, offset, length, position, cb)),
  size: (fd) => call<fs.Stats>((cb) => fs.fstat(fd, cb)).then((s) => s.size),
  fdatasync: (fd) => call<void>((cb) => fs.fdatasync(fd, (err) => cb(err, undefined))),
  fsync: (fd) => call<void>((cb) => fs.fsync(fd, (err) => cb(err, undefined))),
  ftruncate: (fd, length) => call<void>((cb) => fs.ftruncate(fd, length, (err) => cb(err, undefined))),
  close: (fd) => call<void>((cb) => fs.close(fd, (err) => cb(err, undefined))),
  readFile: async (path) => {
    const fd = await call<number>((cb) => fs.open(path, O_RDONLY | O_NOFOLLOW, cb));
    try {
      return await call<Buffer>((cb) => fs.readFile(fd, cb));
    } finally {
      await call<void>((cb) => fs.close(fd, (err) => cb(err, undefined)));
    }
  },
  rename: (from, to) => call<void>((cb) => fs.rename(from, to, (err) => cb(err, undefined))),
  link: (from, to) => call<void>((cb) => fs.link(from, to, (err) => cb(err, undefined))),
  unlink: (path) => call<void>((cb) => fs.unlink(path, (err) => cb(err, undefined))),
  syncDir: async (path) => {
    const fd = await call<number>((cb) => fs.open(path, O_RDONLY, cb));
    try {
      await call<void>((cb) => fs.fsync(fd, (err) => cb(err, undefined)));
    } finally {
      await call<void>((cb) => fs.close(fd, (err) => cb(err, undefined)));
    }
  },
};
