import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

/** A fresh temp folder for this test file, removed after it. */
export function tempRoot(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mq-journal-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
