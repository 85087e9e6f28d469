// Journal benchmarks: group-commit throughput, always-mode latency, recovery speed, snapshot stalls.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { report, type BenchRow } from "@mq-tooling/bench/report";
import type { RecoveryHandler, SnapshotData } from "@mq/core";
import { createFilePersistence, nodeFs, type JournalFs } from "../src/index";

const root = mkdtempSync(join(tmpdir(), "mq-journal-bench-"));
// 256-byte payloads: a string (the common case) and, for recovery, raw bytes too.
const PAYLOAD = "m".repeat(256);
const BINARY = new Uint8Array(256).fill(42);
const rows: BenchRow[] = [];
let dirs = 0;

const noop: RecoveryHandler = { restore() {}, apply() {}, capture: () => ({ meta: null, items: [] }) };

/** The real fs with fdatasync counted and timed. */
function timedFs() {
  const latencies: number[] = [];
  const fs: JournalFs = Object.create(nodeFs) as JournalFs;
  Object.defineProperty(fs, "identity", { get: () => nodeFs.identity });
  fs.fdatasync = async (fd) => {
    const t = performance.now();
    await nodeFs.fdatasync(fd);
    latencies.push(performance.now() - t);
  };
  return { fs, latencies };
}

async function batchThroughput(appenders: number, ms: number, inFlight = 1): Promise<void> {
  const { fs, latencies } = timedFs();
  const p = createFilePersistence({ dataDir: join(root, `b${++dirs}`), fs, snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
  await p.open(noop);
  let records = 0;
  let running = true;
  // Each appender keeps `inFlight` appends outstanding (1 = await each before the next).
  const loop = async () => {
    while (running) {
      const batch: Promise<number>[] = [];
      for (let i = 0; i < inFlight; i++) batch.push(p.append([PAYLOAD]));
      await Promise.all(batch);
      records += inFlight;
    }
  };
  const syncsBefore = latencies.length;
  const t0 = performance.now();
  const loops = Array.from({ length: appenders }, loop);
  await new Promise((r) => setTimeout(r, ms));
  running = false;
  await Promise.all(loops);
  const secs = (performance.now() - t0) / 1000;
  const syncs = latencies.length - syncsBefore;
  const label = `batch, ${appenders} appender(s)${inFlight > 1 ? ` x ${inFlight} in flight` : ""}`;
  rows.push({ name: `${label}: records/s`, value: records / secs, unit: "records/s", ...(appenders >= 64 ? { target: ">= 1,000,000" } : {}) });
  rows.push({ name: `${label}: fdatasyncs/s`, value: syncs / secs, unit: "fdatasync/s", note: `${(records / syncs).toFixed(1)} records per fdatasync` });
  await p.close();
}

async function alwaysLatency(ms: number): Promise<void> {
  const { fs, latencies } = timedFs();
  const p = createFilePersistence({ dataDir: join(root, `a${++dirs}`), fs, durability: "always", snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
  await p.open(noop);
  latencies.length = 0;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await p.append([PAYLOAD]);
    n++;
  }
  const secs = (performance.now() - t0) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  rows.push({ name: "always, 1 appender: appends/s", value: n / secs, unit: "appends/s" });
  rows.push({ name: "always: fdatasync latency p50", value: pct(0.5), unit: "ms" });
  rows.push({ name: "always: fdatasync latency p99", value: pct(0.99), unit: "ms" });
  await p.close();
}

async function recovery(records: number, payload: unknown, label: string): Promise<void> {
  const dataDir = join(root, `r${++dirs}`);
  const p = createFilePersistence({ dataDir, snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
  await p.open(noop);
  let written = 0;
  const loop = async () => {
    while (written < records) {
      written++;
      await p.append([payload]);
    }
  };
  await Promise.all(Array.from({ length: 1024 }, loop));
  await p.close();
  let applied = 0;
  const r = createFilePersistence({ dataDir, snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
  const t0 = performance.now();
  const report = await r.open({ restore() {}, apply: (ops) => void (applied += ops.length), capture: () => ({ meta: null, items: [] }) });
  const secs = (performance.now() - t0) / 1000;
  rows.push({ name: `recovery of ${records.toLocaleString("en-US")} records (${label})`, value: report.framesReplayed / secs, unit: "records/s", target: ">= 1,500,000", note: `${secs.toFixed(2)} s` });
  if (applied !== records) throw new Error(`recovered ${applied} of ${records}`);
  await r.close();
}

async function snapshot(items: number): Promise<void> {
  const state: SnapshotData = {
    meta: { queues: ["orders"] },
    items: Array.from({ length: items }, (_, i) => ({ id: `01J${i.toString(36).padStart(10, "0")}`, queue: "orders", payload: { orderId: i, total: i * 3 }, priority: 4, enqueuedAt: 1_700_000_000_000 + i, attempts: 0 })),
  };
  const p = createFilePersistence({ dataDir: join(root, `s${++dirs}`), snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
  await p.open({ restore() {}, apply() {}, capture: () => state });
  await p.append([{ x: 1 }]);
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const info = await p.snapshot();
  h.disable();
  rows.push({ name: `snapshot of ${items.toLocaleString("en-US")} items`, value: info.durationMs / 1000, unit: "s", target: "<= 2 s", note: `${(info.bytes / 2 ** 20).toFixed(1)} MiB` });
  rows.push({ name: "snapshot: longest event-loop stall", value: h.max / 1e6, unit: "ms", target: "<= 50 ms" });
  await p.close();
}

try {
  for (const appenders of [1, 64, 1024]) await batchThroughput(appenders, 2000);
  await batchThroughput(1024, 2000, 16);
  await alwaysLatency(2000);
  await recovery(1_000_000, PAYLOAD, "256-byte string");
  await recovery(1_000_000, BINARY, "256-byte Uint8Array");
  await snapshot(1_000_000);
  report("journal", rows);
} finally {
  rmSync(root, { recursive: true, force: true });
}
