import { checkHistory, formatHistoryReport, type Ev, type EvInput } from "@mq/core/testing";
import { summarizeHistory } from "../src/history-summary";
import { DEFAULTS, type SoakOptions } from "../src/options";
import { buildResult, type SoakResult } from "../src/result";
import type { SoakRun } from "../src/supervisor";

let t = 1_000_000n;
/** Stamps events with increasing monotonic times, as readEventLogs would return them. */
export function history(events: EvInput[]): Ev[] {
  return events.map((e) => ({ ...e, t: (t += 1_000_000n), wall: Date.now() }));
}

/** A small, valid history: two messages enqueued, delivered and acked, one crash-poison message dead-lettered. */
export function cleanHistory(): Ev[] {
  return history([
    { k: "enq.invoke", op: "o1", queue: "jobs", items: [{ tok: "1:p0:0", queue: "jobs", prio: 1 }, { tok: "1:p0:1", queue: "jobs", prio: 1 }] },
    { k: "enq.ok", op: "o1", results: [{ tok: "1:p0:0", id: "A", result: "created", version: 1 }, { tok: "1:p0:1", id: "B", result: "created", version: 1 }] },
    { k: "enq.invoke", op: "o2", queue: "poison", items: [{ tok: "1:poison:0", queue: "poison", prio: 0 }] },
    { k: "enq.ok", op: "o2", results: [{ tok: "1:poison:0", id: "P", result: "created", version: 1 }] },
    { k: "recv.invoke", rop: "r1", consumer: "c1", queue: "jobs" },
    { k: "recv.ok", rop: "r1", d: [{ id: "A", tok: "1:p0:0", version: 1, attempt: 1, receipt: "ra", leaseMs: 2_000 }, { id: "B", tok: "1:p0:1", version: 1, attempt: 1, receipt: "rb", leaseMs: 2_000 }] },
    { k: "ack.invoke", aop: "a1", receipts: ["ra", "rb"] },
    { k: "ack.ok", aop: "a1" },
    { k: "recv.invoke", rop: "r2", consumer: "c1", queue: "poison" },
    { k: "recv.ok", rop: "r2", d: [{ id: "P", tok: "1:poison:0", version: 1, attempt: 1, receipt: "rp", leaseMs: 2_000 }] },
    { k: "crash", gen: 1 },
    { k: "restart", gen: 2, recoveryMs: 12 },
    { k: "final", dlq: [{ id: "P", tok: "1:poison:0", version: 1, reason: "poison", attempts: 1 }], expired: [], purged: [], stats: { ready: 0, inflight: 0, delayed: 0 } },
  ]);
}

/** A run record with `kills` SIGKILLs, one torn tail, one SIGSTOP, and a little load. */
export function fakeRun(kills = 3): SoakRun {
  const restarts = Array.from({ length: kills + 2 }, (_, i) => ({
    gen: i + 1,
    atMs: i * 2_500 + 300,
    startMs: 400 + i,
    recovery: { durationMs: 20 + i * 3, framesReplayed: 10 * i, snapshotLsn: 0, lastLsn: 10 * i, ...(i === 2 ? { truncated: { file: "/d/journal/1.seg", offset: 100, bytes: 7 } } : {}) },
    drain: i === kills + 1,
  }));
  return {
    startedAt: "2026-01-01T00:00:00.000Z",
    chaosMs: kills * 2_500,
    totalMs: kills * 2_500 + 5_000,
    restarts,
    kills: Array.from({ length: kills }, (_, i) => ({ gen: i + 1, atMs: (i + 1) * 2_500, kind: i === 0 ? ("self" as const) : ("sigkill" as const) })),
    sigstops: [{ gen: 1, atMs: 1_000, stoppedMs: 500 }],
    torn: [{ kind: "zeros", file: "/d/journal/1.seg", offset: 100, bytes: 7, gen: 3, truncated: true, reported: { file: "/d/journal/1.seg", offset: 100, bytes: 7 } }],
    poisonEnqueued: 1,
    seconds: Array.from({ length: kills * 3 }, (_, i) => ({ second: i, enqueued: 100 + i, acked: 90 + i, nacked: 2, e2e: [5, 10, 20 + i] })),
    latency: { e2e: [5, 10, 20, 400], enqueue: [1, 2, 3], ack: [1, 1, 2] },
    mem: [],
    drain: { polls: 3, dlq: 1, attempts: 1 },
    logFiles: [],
  };
}

/** A full result from a fake run and a checked history. */
export function fakeResult(events: Ev[] = cleanHistory(), options: Partial<SoakOptions> = {}, run: SoakRun = fakeRun()): SoakResult {
  const o = { ...DEFAULTS, minKills: 0, ...options };
  const report = checkHistory(events, { mode: "batch", maxRetries: o.maxAttempts - 1 });
  return buildResult(o, run, report, formatHistoryReport(report), summarizeHistory(events, o.maxAttempts), { node: "v20.0.0", platform: "linux-x64", cpus: 2 });
}
