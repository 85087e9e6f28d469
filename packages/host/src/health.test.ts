import { PersistenceError, type Persistence } from "@mq/core";
import { createManualClock } from "@mq/core/testing";
import { createMemoryPersistence } from "@mq/journal/memory";
import { describe, expect, it } from "vitest";
import { HealthTracker } from "./health";

/**
 * The persistence surface HealthTracker reads, with a stalled fdatasync:
 * `lastLsn` (written) and `durableLsn` (synced) move only when the test says so.
 */
function stalledSyncJournal(): { persistence: Persistence; write: (lsn: number) => void; syncUpTo: (lsn: number) => void } {
  const inner = createMemoryPersistence();
  let written = 0;
  let durable = 0;
  const persistence = {
    contractVersion: 1,
    kind: "file",
    durability: "batch",
    events: inner.events,
    get lastLsn() {
      return written;
    },
    get durableLsn() {
      return durable;
    },
    open: (handler) => inner.open(handler),
    append: (ops) => inner.append(ops),
    snapshot: () => inner.snapshot(),
    close: () => inner.close(),
  } satisfies Persistence & { readonly durableLsn: number };
  return { persistence, write: (lsn) => void (written = lsn), syncUpTo: (lsn) => void (durable = lsn) };
}

describe("HealthTracker", () => {
  it("reports how long written frames have waited for fsync (0 when all is durable), on the monotonic clock", () => {
    const clock = createManualClock();
    const { persistence, write, syncUpTo } = stalledSyncJournal();
    const tracker = new HealthTracker(persistence, clock);
    expect(tracker.report("open", true, []).journal).toMatchObject({ kind: "file", durableLsn: 0, syncLagMs: 0 });
    write(1);
    tracker.report("open", true, []);
    clock.advance(250);
    expect(tracker.report("open", true, []).journal).toMatchObject({ lastLsn: 1, durableLsn: 0, syncLagMs: 250 });
    // A wall-clock jump is not a stall.
    clock.jumpWall(3_600_000);
    expect(tracker.report("open", true, []).journal.syncLagMs).toBe(250);
    syncUpTo(1);
    expect(tracker.report("open", true, []).journal).toMatchObject({ durableLsn: 1, syncLagMs: 0 });
  });

  it("keeps the first fail-stop reason and reports not ok", () => {
    const clock = createManualClock();
    const tracker = new HealthTracker(createMemoryPersistence(), clock);
    tracker.fail(new PersistenceError("disk full", "ENOSPC"));
    tracker.fail(new PersistenceError("later problem", "EIO"));
    const health = tracker.report("open", true, []);
    expect(health).toMatchObject({ ok: false, status: "failed", handlersRunning: false, journal: { state: "failed" } });
    expect(health.failure?.message).toContain("disk full");
  });
});
