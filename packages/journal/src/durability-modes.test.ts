import { join } from "node:path";
import type { DurabilityMode } from "@mq/core";
import { createManualClock } from "@mq/core/testing";
import { describe, expect, it } from "vitest";
import { ns, range, RecordingHandler, tryOpen } from "../test/helpers";
import { tempRoot } from "../test/tmp-dir";
import { createFilePersistence } from "./file-persistence";
import { createFaultFs } from "./fs/fault-fs";
import type { JournalFs } from "./fs/journal-fs";
import { nodeFs } from "./fs/node-fs";

const root = tempRoot("modes");

describe("round trip in every durability mode (real files, real fsync)", () => {
  for (const durability of ["always", "batch", "interval", "none"] as DurabilityMode[]) {
    it(durability, async () => {
      const dataDir = join(root, durability);
      const p = createFilePersistence({ dataDir, durability, intervalMs: 5, segmentBytes: 4096, snapshotOnClose: false });
      await p.open(new RecordingHandler());
      const lsns = await Promise.all(range(1, 300).map((n) => p.append([{ n, pad: "z".repeat(50) }])));
      expect(lsns).toEqual(range(1, 300));
      await p.close();
      const r = await tryOpen({ dataDir });
      if ("error" in r) throw r.error;
      expect(ns(r.h)).toEqual(range(1, 300));
      await r.p.close();
    });
  }
});

/** Wraps a JournalFs to count fdatasyncs and the most that were ever in flight at once. */
function countingFs(base: JournalFs) {
  const stats = { syncs: 0, inFlight: 0, maxInFlight: 0 };
  const fs: JournalFs = Object.create(base) as JournalFs;
  Object.defineProperty(fs, "identity", { get: () => base.identity });
  fs.fdatasync = async (fd) => {
    stats.syncs++;
    stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
    try {
      await base.fdatasync(fd);
    } finally {
      stats.inFlight--;
    }
  };
  return { fs, stats };
}

describe("group commit", () => {
  it("batch: 2,000 concurrent appends share few fdatasyncs, never two at once", async () => {
    const { fs, stats } = countingFs(nodeFs);
    const p = createFilePersistence({ dataDir: join(root, "group"), fs, snapshotOnClose: false });
    await p.open(new RecordingHandler());
    const before = stats.syncs;
    await Promise.all(range(1, 2000).map((n) => p.append([{ n }])));
    expect(stats.syncs - before).toBeLessThan(50);
    expect(stats.maxInFlight).toBe(1);
    await p.close();
  });

  it("batch: an append resolves only after the fdatasync that covers it", async () => {
    const base = createFaultFs();
    let synced = 0;
    const fs: JournalFs = Object.create(base) as JournalFs;
    Object.defineProperty(fs, "identity", { get: () => base.identity });
    fs.fdatasync = async (fd) => {
      await base.fdatasync(fd);
      synced = p.durableLsn + 1; // what the journal will record next
    };
    const p = createFilePersistence({ dataDir: "/g", fs, snapshotOnClose: false });
    await p.open(new RecordingHandler());
    const order: string[] = [];
    await Promise.all(
      range(1, 50).map((n) =>
        p.append([{ n }]).then((lsn) => {
          order.push(lsn <= p.durableLsn ? "ok" : `lsn ${lsn} resolved before durable ${p.durableLsn}`);
        }),
      ),
    );
    expect(synced).toBeGreaterThan(0);
    expect(order.filter((o) => o !== "ok")).toEqual([]);
    await p.close();
  });

  it("always: one fdatasync per append", async () => {
    const { fs, stats } = countingFs(createFaultFs());
    const p = createFilePersistence({ dataDir: "/a", fs, durability: "always", snapshotOnClose: false });
    await p.open(new RecordingHandler());
    const before = stats.syncs;
    await Promise.all(range(1, 40).map((n) => p.append([{ n }])));
    expect(stats.syncs - before).toBe(40);
    expect(stats.maxInFlight).toBe(1);
    await p.close();
  });

  it("interval: resolves after write and syncs on the timer", async () => {
    const clock = createManualClock();
    const { fs, stats } = countingFs(createFaultFs());
    const p = createFilePersistence({ dataDir: "/i", fs, durability: "interval", intervalMs: 100, clock, snapshotOnClose: false });
    await p.open(new RecordingHandler());
    const before = stats.syncs;
    expect(await p.append([{ n: 1 }])).toBe(1);
    expect(stats.syncs - before).toBe(0);
    expect(p.durableLsn).toBe(0);
    clock.advance(100);
    for (let i = 0; i < 10 && p.durableLsn < 1; i++) await new Promise((r) => setImmediate(r));
    expect(p.durableLsn).toBe(1);
    expect(stats.syncs - before).toBe(1);
    await p.close();
  });

  it("snapshot waits until every frame it covers is durable (interval mode)", async () => {
    const clock = createManualClock();
    const fs = createFaultFs();
    const p = createFilePersistence({ dataDir: "/s", fs, durability: "interval", intervalMs: 10_000, clock, snapshotOnClose: false });
    const h = new RecordingHandler();
    await p.open(h);
    h.ops.push({ n: 1 });
    await p.append([{ n: 1 }]);
    expect(p.durableLsn).toBe(0);
    const info = await p.snapshot();
    expect(info.lsn).toBe(1);
    expect(p.durableLsn).toBe(1);
    await p.close();
  });

  it("snapshotEveryOps and snapshotEveryMs trigger snapshots", async () => {
    const clock = createManualClock();
    const fs = createFaultFs();
    const p = createFilePersistence({ dataDir: "/t", fs, snapshotEveryOps: 10, snapshotEveryMs: 1000, clock, snapshotOnClose: false });
    const h = new RecordingHandler();
    const seen: number[] = [];
    p.events.on("snapshot", (i) => seen.push(i.lsn));
    await p.open(h);
    for (let n = 1; n <= 10; n++) {
      h.ops.push({ n });
      await p.append([{ n }]);
    }
    for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([10]);
    h.ops.push({ n: 11 });
    await p.append([{ n: 11 }]);
    clock.advance(1000);
    for (let i = 0; i < 50 && seen.length === 1; i++) await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([10, 11]);
    await p.close();
  });
});

describe("lifecycle", () => {
  it("close() during open() waits for it and then closes cleanly", async () => {
    const fs = createFaultFs();
    const p = createFilePersistence({ dataDir: "/l", fs });
    const opening = p.open(new RecordingHandler());
    await p.close();
    await opening;
    expect(fs.listSync("/l")).not.toContain("LOCK");
    await expect(p.append([1])).rejects.toMatchObject({ code: "MQ_HOST_CLOSED" });
  });
});
