import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** A fresh private folder under os.tmpdir(); every data folder and the fdatasync probe live there, on one file system. */
export function makeTempDir(label: string): string {
  return mkdtempSync(path.join(tmpdir(), `mq-bench-${label}-`));
}

/** Remove a folder made by {@link makeTempDir}; never throws (cleanup must not hide the real error). */
export function removeTempDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Best effort: a leftover temp folder is harmless.
  }
}
