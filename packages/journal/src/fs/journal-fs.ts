/** What a directory entry is, read without following symlinks. */
export type EntryType = "file" | "directory" | "symlink" | "other";

/** One directory entry. */
export interface DirEntry {
  readonly name: string;
  readonly type: EntryType;
}

/**
 * How a file is opened: `read` (no create, never follows a final symlink),
 * `readWrite` (no create), `create` (create or truncate), `createExclusive` (fail with EEXIST).
 * None of them uses O_APPEND: the journal writes at explicit positions.
 */
export type OpenMode = "read" | "readWrite" | "create" | "createExclusive";

/** Names of the operations of {@link JournalFs}, as fault injection refers to them. */
export type FsOp =
  | "mkdir"
  | "readdir"
  | "open"
  | "writev"
  | "read"
  | "size"
  | "fdatasync"
  | "fsync"
  | "ftruncate"
  | "close"
  | "readFile"
  | "rename"
  | "link"
  | "unlink"
  | "syncDir";

/**
 * The file-system calls the journal makes, and nothing else: the seam through
 * which tests inject faults and power loss (`createFaultFs`). Errors carry an
 * errno string in `code` (`EIO`, `ENOSPC`, `EEXIST`, `ENOENT`, …).
 */
export interface JournalFs {
  /** Distinguishes one "boot" of a file system from the next (in-process locks are scoped to it). */
  readonly identity: string;
  /** Creates `path` and missing parents (owner-only, 0700, on the real file system); an existing folder is left as it is. */
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<DirEntry[]>;
  /** Opens `path`; a file it creates is owner-only (0600 on the real file system). */
  open(path: string, mode: OpenMode): Promise<number>;
  /** Writes `buffers` at `position`; may write fewer bytes than asked (the caller continues). */
  writev(fd: number, buffers: readonly Uint8Array[], position: number): Promise<number>;
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  size(fd: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  close(fd: number): Promise<void>;
  /** Reads a whole regular file without following a final symlink, into bytes the caller owns (recovery keeps views of them). */
  readFile(path: string): Promise<Uint8Array>;
  rename(from: string, to: string): Promise<void>;
  /** Creates `to` as a hard link of `from`; fails with EEXIST if `to` exists (an atomic exclusive create). */
  link(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Makes the directory's entries (creates, renames, unlinks) durable: open + fsync + close. */
  syncDir(path: string): Promise<void>;
}

/** Builds an Error with an errno `code`, the shape Node's fs errors have. */
export function fsError(code: string, op: string, path = ""): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${op}${path ? ` '${path}'` : ""}`);
  err.code = code;
  err.syscall = op;
  if (path) err.path = path;
  return err;
}

/** The errno code of a thrown fs error, or `EIO` when it has none. */
export function errnoOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "EIO";
}
