// The durability table with figures: for each mode, what a user gets with
// default options (only `durability` changes), 256-byte payloads, file journal
// (memory for `none`): bulk enqueue from one producer awaiting batches of 100,
// a drain of pre-enqueued messages through `handle()` at parallelism 32
// counted when the ack is durable (the dispatcher's `succeeded` event), and
// enqueue → handler start at a paced 1,000 msg/s.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { report, type BenchRow } from "@mq-tooling/bench/report";
import type { DurabilityMode } from "@mq/core";
import { createQueueHost, type QueueHost } from "../src/index";

const quick = process.env.MQ_BENCH_QUICK === "1";
const N = quick ? 10_000 : 50_000;
const SAMPLES = quick ? 500 : 2_000;
const payload = { body: "x".repeat(240), n: 0 };
const rows: BenchRow[] = [];
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

async function withHost<T>(durability: DurabilityMode, fn: (host: QueueHost) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), "mq-durability-bench-"));
  const host = createQueueHost({ dataDir: dir, durability });
  try {
    return await fn(host);
  } finally {
    await host.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bulk(durability: DurabilityMode): Promise<number> {
  return withHost(durability, async (host) => {
    await host.start();
    const batch = Array.from({ length: 100 }, () => ({ queue: "bench", payload }));
    const started = performance.now();
    for (let i = 0; i < N / 100; i++) await host.enqueueBatch(batch);
    return (N / (performance.now() - started)) * 1000;
  });
}

async function drain(durability: DurabilityMode): Promise<number> {
  return withHost(durability, async (host) => {
    await host.start();
    const batch = Array.from({ length: 1_000 }, () => ({ queue: "bench", payload }));
    for (let i = 0; i < N / 1_000; i++) await host.enqueueBatch(batch);
    let done = 0;
    const finished = new Promise<void>((resolve) => {
      host.dispatcher.events.on("succeeded", () => {
        if (++done === N) resolve();
      });
    });
    const started = performance.now();
    host.handle("bench", () => undefined, { maxParallelism: 32 });
    await finished;
    return (N / (performance.now() - started)) * 1000;
  });
}

async function latency(durability: DurabilityMode): Promise<{ p50: number; p99: number }> {
  return withHost(durability, async (host) => {
    const waits: number[] = [];
    let resolveAll: () => void = () => undefined;
    const all = new Promise<void>((r) => (resolveAll = r));
    host.handle<{ at: number }>("bench", ({ at }) => {
      waits.push(performance.now() - at);
      if (waits.length === SAMPLES + 100) resolveAll();
    });
    await host.start();
    const started = performance.now();
    for (let i = 0; i < SAMPLES + 100; i++) {
      const due = started + i; // 1,000 msg/s
      const ahead = due - performance.now();
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
      void host.enqueue("bench", { at: performance.now() });
    }
    await all;
    const sorted = waits.slice(100).sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  });
}

/** The disk's own fdatasync latency in this run (4 KiB appended, then fdatasync, 500 times), to compare the latency rows with. */
function diskSync(): { p50: number; p99: number } {
  const dir = mkdtempSync(path.join(tmpdir(), "mq-durability-sync-"));
  const fd = openSync(path.join(dir, "probe"), "w");
  const block = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < 500; i++) {
      writeSync(fd, block);
      const t = performance.now();
      fdatasyncSync(fd);
      times.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

const LOSS: Record<DurabilityMode, string> = {
  always: "kill -9: nothing resolved; power loss: nothing resolved",
  batch: "kill -9: nothing resolved; power loss: nothing resolved",
  interval: "kill -9: nothing resolved; power loss: up to intervalMs (100 ms)",
  none: "everything since the last snapshot (memory only)",
};

// BENCH_MODES=batch,interval runs only those modes (quick comparisons).
const modes = (process.env.BENCH_MODES?.split(",") ?? ["always", "batch", "interval", "none"]) as DurabilityMode[];
const disk = diskSync();
rows.push({ name: "disk: fdatasync p50 (4 KiB appends, this run)", value: disk.p50, unit: "ms" });
rows.push({ name: "disk: fdatasync p99 (4 KiB appends, this run)", value: disk.p99, unit: "ms" });
for (const mode of modes) {
  const b = await bulk(mode);
  const d = await drain(mode);
  const l = await latency(mode);
  rows.push({ name: `${mode}: bulk enqueue, batches of 100, one producer`, value: b, unit: "msg/s", note: LOSS[mode] });
  rows.push({ name: `${mode}: drain, handle() parallelism 32, counted at durable ack`, value: d, unit: "msg/s" });
  rows.push({ name: `${mode}: enqueue → handler start at 1,000 msg/s, p50`, value: l.p50, unit: "ms" });
  rows.push({ name: `${mode}: enqueue → handler start at 1,000 msg/s, p99`, value: l.p99, unit: "ms", ...(mode === "batch" ? { target: `<= disk fdatasync p99 + 1 ms = ${(disk.p99 + 1).toFixed(2)} ms` } : {}) });
}

report("host-durability", rows);
