// The two journal targets of issue 12, measured exactly and nothing else (quick to run, easy to
// profile with `node --cpu-prof`):
//   1. 1,024 concurrent closed-loop appenders in `batch` mode ≥ 1,000,000 records/s;
//   2. recovery (open() replaying the journal) ≥ 1,500,000 records/s.
// Default options, except where named below. Prints the figures and writes
// bench-results/journal-targets.json.
//
//   pnpm --filter @mq/journal bench:targets
//   BENCH_MS=5000 RECOVERY_RECORDS=1000000 pnpm --filter @mq/journal bench:targets
//   node --cpu-prof --cpu-prof-dir=.cpuprof --import tsx bench/targets.bench.ts   (then bench/profile-summary.mjs)
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { report, type BenchRow } from "@mq-tooling/bench/report";
import type { RecoveryHandler } from "@mq/core";
import { CRC32_IMPLEMENTATION, createFilePersistence, nodeFs, type JournalFs } from "../src/index";

const MS = Number(process.env.BENCH_MS ?? 3000);
const RECORDS = Number(process.env.RECOVERY_RECORDS ?? 1_000_000);
const APPENDERS = 1024;
const only = process.env.BENCH_ONLY; // "append" or "recovery"
const root = mkdtempSync(join(tmpdir(), "mq-journal-targets-"));
const PAYLOAD = "m".repeat(256); // 256-byte payloads, as in the issue
const rows: BenchRow[] = [];
const noop: RecoveryHandler = { restore() {}, apply() {}, capture: () => ({ meta: null, items: [] }) };

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** The real fs with fdatasync and writev counted and timed (one extra closure per call, nothing per record). */
function timedFs(): { fs: JournalFs; latencies: number[]; writes: number[] } {
  const latencies: number[] = [];
  const writes: number[] = [];
  const fs: JournalFs = Object.create(nodeFs) as JournalFs;
  Object.defineProperty(fs, "identity", { get: () => nodeFs.identity });
  fs.fdatasync = async (fd) => {
    const t = performance.now();
    await nodeFs.fdatasync(fd);
    latencies.push(performance.now() - t);
  };
  fs.writev = async (fd, buffers, position) => {
    const t = performance.now();
    const n = await nodeFs.writev(fd, buffers, position);
    writes.push(performance.now() - t);
    return n;
  };
  return { fs, latencies, writes };
}

/** Target 1. Default options (durability `batch`, automatic snapshots of the empty state every 100,000 ops, …). */
async function appenders(): Promise<void> {
  const { fs, latencies, writes } = timedFs();
  const p = createFilePersistence({ dataDir: join(root, "append"), fs });
  await p.open(noop);
  let records = 0;
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      await p.append([PAYLOAD]);
      records++;
    }
  };
  // Warm up (JIT, buffers) for a fifth of the run, then measure.
  const warm = Array.from({ length: APPENDERS }, loop);
  await new Promise((r) => setTimeout(r, Math.min(1000, MS / 5)));
  running = false;
  await Promise.all(warm);
  running = true;
  records = 0;
  latencies.length = 0;
  writes.length = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const loops = Array.from({ length: APPENDERS }, loop);
  await new Promise((r) => setTimeout(r, MS));
  running = false;
  await Promise.all(loops);
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = [...latencies].sort((a, b) => a - b);
  const syncs = latencies.length;
  const syncBusy = latencies.reduce((a, b) => a + b, 0) / 1000;
  rows.push({ name: `batch, ${APPENDERS} appenders: records/s`, value: records / secs, unit: "records/s", target: ">= 1,000,000", note: `${((cpu.user + cpu.system) / records).toFixed(2)} µs CPU per record (user ${(cpu.user / records).toFixed(2)}), appender loop included` });
  rows.push({ name: "batch: fdatasyncs/s", value: syncs / secs, unit: "fdatasync/s", note: `${(records / Math.max(1, syncs)).toFixed(0)} records per fdatasync; disk busy syncing ${((100 * syncBusy) / secs).toFixed(0)}% of the time` });
  rows.push({ name: "batch: fdatasync p50", value: percentile(sorted, 0.5), unit: "ms" });
  rows.push({ name: "batch: fdatasync p99", value: percentile(sorted, 0.99), unit: "ms" });
  const w = [...writes].sort((a, b) => a - b);
  rows.push({ name: "batch: group writes/s", value: w.length / secs, unit: "writes/s", note: `p50 ${percentile(w, 0.5).toFixed(3)} ms, p99 ${percentile(w, 0.99).toFixed(3)} ms; ${(records / Math.max(1, w.length)).toFixed(0)} records per write` });
  rows.push({ name: "batch: CPU busy", value: (100 * (cpu.user + cpu.system)) / 1e6 / secs, unit: "% of one core" });
  await p.close();
}

/** Target 2. Written by 1,024 appenders (group frames); `snapshotEveryOps: 0` and `snapshotOnClose: false` so that every record is replayed. */
async function recovery(): Promise<void> {
  const dataDir = join(root, "recovery");
  const options = { dataDir, snapshotEveryOps: 0, snapshotOnClose: false } as const;
  const p = createFilePersistence(options);
  await p.open(noop);
  let written = 0;
  const loop = async (): Promise<void> => {
    while (written < RECORDS) {
      written++;
      await p.append([PAYLOAD]);
    }
  };
  await Promise.all(Array.from({ length: APPENDERS }, loop));
  await p.close();
  let applied = 0;
  const r = createFilePersistence(options);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const rep = await r.open({ restore() {}, apply: (ops) => void (applied += ops.length), capture: () => ({ meta: null, items: [] }) });
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (applied !== RECORDS) throw new Error(`recovered ${applied} of ${RECORDS}`);
  rows.push({ name: `recovery of ${RECORDS.toLocaleString("en-US")} records: records/s`, value: rep.framesReplayed / secs, unit: "records/s", target: ">= 1,500,000", note: `${secs.toFixed(2)} s; ${((cpu.user + cpu.system) / RECORDS).toFixed(2)} µs CPU per record (user ${(cpu.user / RECORDS).toFixed(2)})` });
  await r.close();
}

try {
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}; CRC-32 by ${CRC32_IMPLEMENTATION}; node ${process.version}`);
  if (only !== "recovery") await appenders();
  if (only !== "append") await recovery();
  rows.push({ name: "load average (1 min) at the end", value: loadavg()[0]!, unit: "" });
  report("journal-targets", rows);
} finally {
  rmSync(root, { recursive: true, force: true });
}
