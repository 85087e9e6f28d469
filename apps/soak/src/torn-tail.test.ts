import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createQueueHost } from "@mq/host";
import { afterEach, describe, expect, it } from "vitest";
import { appendTornTail, newestSegment, TORN_KINDS, tornBytes } from "./torn-tail";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("tornBytes", () => {
  it("builds the three shapes of a torn frame", () => {
    for (let i = 0; i < 50; i++) {
      const garbage = tornBytes("garbage");
      expect(garbage.length).toBeGreaterThanOrEqual(1);
      expect(garbage.length).toBeLessThan(16);
      const header = tornBytes("header");
      const claimed = header.readUInt32LE(4);
      expect(claimed).toBeGreaterThanOrEqual(64);
      // The header promises more body than follows it.
      expect(header.length - 16).toBeLessThan(claimed);
      const zeros = tornBytes("zeros");
      expect(zeros.every((b) => b === 0)).toBe(true);
    }
  });
});

describe("appendTornTail", () => {
  it("returns undefined for a folder without segments", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mq-soak-torn-"));
    dirs.push(dir);
    expect(newestSegment(dir)).toBeUndefined();
    expect(appendTornTail(dir, "zeros")).toBeUndefined();
  });

  it.each(TORN_KINDS)("appends a %s tail that the host cuts off at exactly that offset on recovery", async (kind) => {
    const dir = mkdtempSync(path.join(tmpdir(), "mq-soak-torn-"));
    dirs.push(dir);
    const first = createQueueHost({ dataDir: dir });
    await first.start();
    for (let i = 0; i < 20; i++) await first.enqueue("q", { i });
    await first.stop();

    const torn = appendTornTail(dir, kind);
    expect(torn).toBeDefined();
    expect(statSync(torn!.file).size).toBe(torn!.offset + torn!.bytes);

    const second = createQueueHost({ dataDir: dir });
    const report = await second.start();
    expect(report?.truncated).toEqual({ file: torn!.file, offset: torn!.offset, bytes: torn!.bytes });
    expect((await second.stats("q")).ready).toBe(20);
    await second.stop();
    expect(statSync(torn!.file).size).toBeGreaterThanOrEqual(torn!.offset);
  });
});
