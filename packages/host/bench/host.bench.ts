// Host benchmarks: enqueue throughput, end to end, latency, memory per
// message, recovery, and handlers through the dispatcher. 256-byte payloads,
// `batch` durability on the file journal unless a row says otherwise.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { report, type BenchRow } from "@mq-tooling/bench/report";
import { createQueueHost, type QueueHost } from "../src/index";

const quick = process.env.MQ_BENCH_QUICK === "1";
const N = quick ? 20_000 : 100_000;
const payload = { body: "x".repeat(240), n: 0 }; // encodes to ~256 bytes
const rows: BenchRow[] = [];

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "mq-host-bench-"));
}

async function withHost<T>(fn: (host: QueueHost, dir: string) => Promise<T>, options: Parameters<typeof createQueueHost>[0] = {}): Promise<T> {
  const dir = tempDir();
  const host = createQueueHost({ dataDir: dir, snapshot: { everyOps: 0, everyMs: 0, onClose: false }, ...options });
  await host.start();
  try {
    return await fn(host, dir);
  } finally {
    await host.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

async function enqueueConcurrent(concurrency: number): Promise<void> {
  await withHost(async (host) => {
    let next = 0;
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < N) {
          next++;
          await host.enqueue("bench", payload);
        }
      }),
    );
    rows.push({ name: `enqueue, ${concurrency} concurrent producers`, value: N / seconds(start), unit: "msg/s" });
  });
}

async function enqueueBatches(): Promise<void> {
  await withHost(async (host) => {
    const batch = Array.from({ length: 100 }, () => ({ queue: "bench", payload }));
    const start = process.hrtime.bigint();
    for (let i = 0; i < N / 100; i++) await host.enqueueBatch(batch);
    rows.push({ name: "enqueueBatch of 100, one producer", value: N / seconds(start), unit: "msg/s" });
  });
}

async function endToEnd(): Promise<void> {
  await withHost(async (host) => {
    const batch = Array.from({ length: 1000 }, () => ({ queue: "e2e", payload }));
    for (let i = 0; i < N / 1000; i++) await host.enqueueBatch(batch);
    const start = process.hrtime.bigint();
    let done = 0;
    while (done < N) {
      const got = await host.receive("e2e", { max: 100, leaseMs: 60_000 });
      await host.ack(got.map((d) => d.receipt));
      done += got.length;
    }
    rows.push({ name: "receive(max 100) + ack, one consumer", value: N / seconds(start), unit: "msg/s", target: "≥ 200,000" });
  });
}

async function endToEndConcurrent(): Promise<void> {
  await withHost(async (host) => {
    let produced = 0;
    let consumed = 0;
    const start = process.hrtime.bigint();
    const producers = Array.from({ length: 4 }, async () => {
      const batch = Array.from({ length: 100 }, () => ({ queue: "flow", payload }));
      while (produced < N) {
        produced += 100;
        await host.enqueueBatch(batch);
      }
    });
    const consumers = Array.from({ length: 4 }, async () => {
      while (consumed < N) {
        const got = await host.receive("flow", { max: 100, leaseMs: 60_000, waitMs: 50 });
        if (got.length === 0) continue;
        consumed += got.length;
        await host.ack(got.map((d) => d.receipt));
      }
    });
    await Promise.all([...producers, ...consumers]);
    rows.push({ name: "produce + consume at once (4 + 4 loops)", value: N / seconds(start), unit: "msg/s" });
  });
}

async function latency(): Promise<void> {
  await withHost(async (host) => {
    const samples: number[] = [];
    const sent = new Map<string, bigint>();
    let running = true;
    const consumer = (async () => {
      while (running) {
        const got = await host.receive("lat", { max: 10, leaseMs: 60_000, waitMs: 100 });
        const now = process.hrtime.bigint();
        for (const d of got) {
          const t = sent.get(d.message.id);
          if (t !== undefined) samples.push(Number(now - t) / 1e6);
        }
        if (got.length > 0) await host.ack(got.map((d) => d.receipt));
      }
    })();
    const count = quick ? 1_000 : 3_000;
    const begin = performance.now();
    for (let i = 0; i < count; i++) {
      const due = begin + i; // 1,000 msg/s
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t = process.hrtime.bigint();
      const id = (await host.enqueue("lat", payload)).id;
      sent.set(id, t);
    }
    await new Promise((r) => setTimeout(r, 200));
    running = false;
    await consumer;
    samples.sort((a, b) => a - b);
    rows.push({ name: "enqueue → receive latency p50 at 1,000 msg/s", value: percentile(samples, 50), unit: "ms" });
    rows.push({ name: "enqueue → receive latency p99 at 1,000 msg/s", value: percentile(samples, 99), unit: "ms", target: "≤ 2 ms" });
  });
}

async function handlers(parallelism: number): Promise<void> {
  await withHost(async (host) => {
    let done = 0;
    let resolveAll: () => void = () => undefined;
    const all = new Promise<void>((r) => (resolveAll = r));
    host.handle("h", async () => {
      if (++done === N) resolveAll();
      return Promise.resolve();
    }, { maxParallelism: parallelism, prefetch: Math.max(16, parallelism) });
    const batch = Array.from({ length: 1000 }, () => ({ queue: "h", payload }));
    host.pause("h");
    for (let i = 0; i < N / 1000; i++) await host.enqueueBatch(batch);
    const start = process.hrtime.bigint();
    host.resume("h");
    await all;
    rows.push({ name: `host.handle no-op, parallelism ${parallelism}`, value: N / seconds(start), unit: "msg/s", ...(parallelism === 64 ? { target: "≥ 200,000" } : {}) });
  });
}

async function handlerLatency(): Promise<void> {
  await withHost(async (host) => {
    const samples: number[] = [];
    host.handle<{ t: number }>("hl", (p) => {
      samples.push(performance.now() - p.t);
    }, { maxParallelism: 4 });
    const count = quick ? 1_000 : 3_000;
    const begin = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = begin + i - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await host.enqueue("hl", { t: performance.now(), body: payload.body });
    }
    await new Promise((r) => setTimeout(r, 300));
    samples.sort((a, b) => a - b);
    rows.push({ name: "enqueue → handler start p50 at 1,000 msg/s", value: percentile(samples, 50), unit: "ms" });
    rows.push({ name: "enqueue → handler start p99 at 1,000 msg/s", value: percentile(samples, 99), unit: "ms", target: "≤ 2 ms" });
  });
}

/** Recovery in a fresh process, as after a restart. */
function recoverInChild(dir: string): { ms: number; ready: number; framesReplayed: number } {
  const out = execFileSync(process.execPath, [fileURLToPath(new URL("./recover-child.mjs", import.meta.url)), dir], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out) as { ms: number; ready: number; framesReplayed: number };
}

async function memoryAndRecovery(): Promise<void> {
  const M = quick ? 100_000 : 1_000_000;
  const dir = tempDir();
  const batch = Array.from({ length: 1000 }, () => ({ queue: "mem", payload }));
  try {
    global.gc?.();
    let host: QueueHost | undefined = createQueueHost({ dataDir: dir, snapshot: { everyOps: 0, everyMs: 0 } });
    await host.start();
    global.gc?.();
    const base = process.memoryUsage();
    for (let i = 0; i < M / 1000; i++) await host.enqueueBatch(batch);
    global.gc?.();
    const after = process.memoryUsage();
    const payloadBytes = (await host.stats("mem")).bytes;
    const grown = after.heapUsed - base.heapUsed + (after.arrayBuffers - base.arrayBuffers);
    rows.push({ name: `memory per queued message beyond payload (${M.toLocaleString("en-US")} queued)`, value: (grown - payloadBytes) / M, unit: "bytes", target: "≤ 600", note: global.gc ? "" : "(run with --expose-gc for a steadier figure)" });
    const start = process.hrtime.bigint();
    const stall = monitorEventLoopDelay({ resolution: 5 });
    stall.enable();
    await host.stop(); // writes the final snapshot
    stall.disable();
    host = undefined;
    rows.push({ name: `final snapshot of ${M.toLocaleString("en-US")} messages on stop`, value: seconds(start), unit: "s", target: "≤ 2 s" });
    rows.push({ name: "longest event-loop stall during that snapshot", value: stall.max / 1e6, unit: "ms", target: "≤ 50 ms" });
    const fromSnapshot = recoverInChild(dir);
    rows.push({ name: `recovery from snapshot, ${fromSnapshot.ready.toLocaleString("en-US")} messages (fresh process)`, value: fromSnapshot.ms / 1000, unit: "s", note: `${Math.round(fromSnapshot.ready / (fromSnapshot.ms / 1000)).toLocaleString("en-US")} msg/s` });
    // Journal only: no snapshot, every frame replayed.
    rmSync(dir, { recursive: true, force: true });
    let j: QueueHost | undefined = createQueueHost({ dataDir: dir, snapshot: { everyOps: 0, everyMs: 0, onClose: false } });
    await j.start();
    for (let i = 0; i < M / 1000; i++) await j.enqueueBatch(batch);
    await j.stop();
    j = undefined;
    const fromJournal = recoverInChild(dir);
    rows.push({ name: `recovery from journal only, ${fromJournal.ready.toLocaleString("en-US")} messages (fresh process)`, value: fromJournal.ms / 1000, unit: "s", note: `${Math.round(fromJournal.ready / (fromJournal.ms / 1000)).toLocaleString("en-US")} msg/s, ${fromJournal.framesReplayed} frames` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await enqueueConcurrent(1);
await enqueueConcurrent(256);
await enqueueBatches();
await endToEnd();
await endToEndConcurrent();
await latency();
await handlers(1);
await handlers(64);
await handlerLatency();
await memoryAndRecovery();
report("host", rows);
