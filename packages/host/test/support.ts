import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createMemoryPersistence, createMemoryStore, type MemoryStore } from "@mq/journal/memory";
import { createQueueHost, type QueueHostOptions } from "../src/index";
import type { QueueHost } from "../src/queue-host";

/** A host on a memory store that survives restarts within the test. */
export function memoryHost(options: QueueHostOptions = {}, store: MemoryStore = createMemoryStore()): { host: QueueHost; store: MemoryStore; restart: (more?: QueueHostOptions) => QueueHost } {
  const make = (more: QueueHostOptions = {}): QueueHost => createQueueHost({ ...options, ...more, persistence: createMemoryPersistence({ store }) });
  return { host: make(), store, restart: make };
}

/** A fresh temporary data folder, removed by the returned cleanup. */
export function tempDir(prefix = "mq-host-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 5 ms until it holds, failing after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(5);
  }
}
