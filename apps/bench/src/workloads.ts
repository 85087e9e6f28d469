import { makePayload, type BenchPayload } from "./payload";
import type { PeerSession } from "./peer";
import { summarize, type LatencySummary } from "./stats";
import { Watchdog } from "./watchdog";

/** The workloads, in the order they run. */
export const WORKLOAD_IDS = ["single", "bulk-1", "bulk-8", "drain-c1", "drain-c32", "drain-3p", "latency", "latency-3p"] as const;
export type WorkloadId = (typeof WORKLOAD_IDS)[number];
/** Every workload: what the Redis peers run. */
export const ALL_WORKLOADS: readonly WorkloadId[] = WORKLOAD_IDS;
/** The embedded @mq peers have no shared server for other processes to consume from. */
export const EMBEDDED_WORKLOADS: readonly WorkloadId[] = WORKLOAD_IDS.filter((id) => id !== "drain-3p" && id !== "latency-3p");
/** Consumer processes and the concurrency of each in the multi-process drain. */
export const DRAIN_PROCESSES = 3;
export const DRAIN_PROCESS_CONCURRENCY = 32;

/** What each workload is called in tables and charts. */
export const WORKLOAD_LABELS: Record<WorkloadId, string> = {
  single: "single awaited enqueue",
  "bulk-1": "bulk enqueue, batches of 100, 1 producer",
  "bulk-8": "bulk enqueue, batches of 100, 8 producers",
  "drain-c1": "drain, no-op handler, concurrency 1",
  "drain-c32": "drain, no-op handler, concurrency 32",
  "drain-3p": `drain, no-op handler, ${DRAIN_PROCESSES} consumer processes × concurrency ${DRAIN_PROCESS_CONCURRENCY}`,
  latency: "enqueue → handler start at 1,000 msg/s",
  "latency-3p": `enqueue → handler start at 1,000 msg/s, ${DRAIN_PROCESSES} consumer processes × concurrency 1`,
};

/** Messages per workload. */
export interface WorkloadSizes {
  readonly single: number;
  readonly bulk: number;
  readonly drain: number;
  /** Measured latency samples (after a short warm-up). */
  readonly latency: number;
  /** Latency workload pace, msg/s. */
  readonly latencyRate: number;
  /**
   * A throughput workload that is still running after this many seconds stops
   * and reports the rate over what it finished (marked partial), so one slow
   * system cannot stretch the run past its budget.
   */
  readonly capSeconds: number;
}

export interface ThroughputResult {
  readonly kind: "throughput";
  /** Messages finished in `seconds` (fewer than planned when the cap stopped it). */
  readonly messages: number;
  readonly planned: number;
  /** True when the time cap stopped the workload before all planned messages. */
  readonly partial: boolean;
  readonly seconds: number;
  readonly perSecond: number;
}
export interface LatencyResult extends LatencySummary {
  readonly kind: "latency";
  /** Offered pace, msg/s. */
  readonly rate: number;
  /** Messages ÷ time until the last enqueue resolved: below `rate` when the producer side could not keep the pace. */
  readonly acceptedPerSecond: number;
  /**
   * Messages ÷ time until the last handler started: below `rate` when the
   * system could not keep the pace end to end (latency then measures a
   * growing backlog rather than one message's way through).
   */
  readonly startedPerSecond: number;
}
export interface FailedResult {
  readonly kind: "error";
  readonly error: string;
}
export type WorkloadResult = ThroughputResult | LatencyResult | FailedResult;

const BATCH = 100;
const PREFILL_BATCH = 1_000;
const STALL_MS = 60_000;

/** Run one workload on a fresh session. */
export async function runWorkload(id: WorkloadId, session: PeerSession, sizes: WorkloadSizes, onProgress: (done: number) => void): Promise<ThroughputResult | LatencyResult> {
  const watchdog = new Watchdog(id, STALL_MS);
  const progress = (done: number): void => {
    watchdog.tick();
    onProgress(done);
  };
  switch (id) {
    case "single":
      return watchdog.guard(singleEnqueue(session, sizes.single, sizes.capSeconds, progress));
    case "bulk-1":
      return watchdog.guard(bulkEnqueue(session, sizes.bulk, 1, sizes.capSeconds, progress));
    case "bulk-8":
      return watchdog.guard(bulkEnqueue(session, sizes.bulk, 8, sizes.capSeconds, progress));
    case "drain-c1":
      return drain(session, sizes.drain, 1, sizes.capSeconds, watchdog, progress);
    case "drain-c32":
      return drain(session, sizes.drain, 32, sizes.capSeconds, watchdog, progress);
    case "drain-3p":
      return drainInProcesses(session, sizes.drain, sizes.capSeconds, watchdog, progress);
    case "latency":
      return latency(session, sizes.latency, sizes.latencyRate, watchdog, progress);
    case "latency-3p":
      return latencyInProcesses(session, sizes.latency, sizes.latencyRate, watchdog, progress);
  }
}

// ---------------------------------------------------------------------------

function throughput(messages: number, planned: number, startedAt: number): ThroughputResult {
  const seconds = (performance.now() - startedAt) / 1000;
  return { kind: "throughput", messages, planned, partial: messages < planned, seconds, perSecond: messages / seconds };
}

async function singleEnqueue(session: PeerSession, n: number, capSeconds: number, progress: (done: number) => void): Promise<ThroughputResult> {
  const startedAt = performance.now();
  const deadline = startedAt + capSeconds * 1000;
  let done = 0;
  while (done < n && performance.now() < deadline) {
    await session.enqueue(makePayload(done));
    if ((++done & 255) === 0) progress(done);
  }
  return throughput(done, n, startedAt);
}

async function bulkEnqueue(session: PeerSession, n: number, producers: number, capSeconds: number, progress: (done: number) => void): Promise<ThroughputResult> {
  const batches = Math.ceil(n / BATCH);
  const batch = Array.from({ length: BATCH }, (_, i) => makePayload(i));
  let taken = 0;
  let done = 0;
  const startedAt = performance.now();
  const deadline = startedAt + capSeconds * 1000;
  await Promise.all(
    Array.from({ length: producers }, async () => {
      while (taken < batches && performance.now() < deadline) {
        taken++;
        await session.enqueueBatch(batch);
        done += BATCH;
        progress(done);
      }
    }),
  );
  return throughput(done, batches * BATCH, startedAt);
}

/**
 * Enqueue `n` messages (untimed), then time a no-op handler until the last
 * completion is recorded (or the cap passes: then the rate is over what was
 * recorded by then).
 */
async function drain(session: PeerSession, n: number, concurrency: number, capSeconds: number, watchdog: Watchdog, progress: (done: number) => void): Promise<ThroughputResult> {
  await prefill(session, n, watchdog);
  let done = 0;
  let result: ThroughputResult | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const startedAt = performance.now();
  const stop = (): void => {
    result ??= throughput(done, n, startedAt);
    finish();
  };
  const cap = setTimeout(stop, capSeconds * 1000);
  try {
    await watchdog.guard(
      session.consume(
        concurrency,
        () => undefined,
        () => {
          done++;
          if ((done & 1023) === 0) progress(done);
          if (done === n) stop();
        },
      ),
    );
    await watchdog.guard(finished);
  } finally {
    clearTimeout(cap);
  }
  return result ?? throughput(done, n, startedAt);
}

/**
 * The drain with consumers in child processes: enqueue `n` (untimed), start
 * the processes and wait until each is connected (untimed), then time from
 * `go` to the n-th recorded completion they report (or the cap).
 */
async function drainInProcesses(session: PeerSession, n: number, capSeconds: number, watchdog: Watchdog, progress: (done: number) => void): Promise<ThroughputResult> {
  if (session.startConsumerProcesses === undefined) throw new Error("[mq:bench] this peer cannot run consumers in other processes");
  await prefill(session, n, watchdog);
  let done = 0;
  let result: ThroughputResult | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let startedAt = performance.now();
  const stop = (): void => {
    result ??= throughput(Math.min(done, n), n, startedAt);
    finish();
  };
  const consumers = await watchdog.guard(
    session.startConsumerProcesses(DRAIN_PROCESSES, DRAIN_PROCESS_CONCURRENCY, (count) => {
      done += count;
      progress(done);
      if (done >= n) stop();
    }),
  );
  startedAt = performance.now();
  const cap = setTimeout(stop, capSeconds * 1000);
  try {
    consumers.go();
    await watchdog.guard(finished);
  } finally {
    clearTimeout(cap);
  }
  return result ?? throughput(done, n, startedAt);
}

async function prefill(session: PeerSession, n: number, watchdog: Watchdog): Promise<void> {
  for (let i = 0; i < n; i += PREFILL_BATCH) {
    await watchdog.guard(session.enqueueBatch(Array.from({ length: Math.min(PREFILL_BATCH, n - i) }, (_, k) => makePayload(i + k))));
    watchdog.tick();
  }
}

/**
 * Enqueue at a fixed pace (each enqueue not awaited, so a slow one does not
 * delay the next) with `performance.now()` in the payload; the handler
 * records now − t. The first messages warm up and are not counted.
 */
async function latency(session: PeerSession, count: number, rate: number, watchdog: Watchdog, progress: (done: number) => void): Promise<LatencyResult> {
  const warmup = Math.min(200, Math.ceil(count / 10));
  const total = warmup + count;
  const samples: number[] = [];
  let started = 0;
  let lastStartAt = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  await watchdog.guard(
    session.consume(
      1,
      (payload: BenchPayload) => {
        const now = performance.now();
        if (payload.i >= warmup) samples.push(now - payload.t);
        watchdog.tick();
        if (++started === total) {
          lastStartAt = now;
          finish();
        }
      },
      () => undefined,
    ),
  );
  const { begin, acceptedPerSecond } = await pacedEnqueues(session, total, rate, watchdog, progress);
  await watchdog.guard(finished);
  const startedPerSecond = total / ((lastStartAt - begin) / 1000);
  return { kind: "latency", rate, acceptedPerSecond, startedPerSecond, ...summarize(samples) };
}

/**
 * The latency workload with its consumers in 3 child processes (concurrency
 * 1 each): each measures enqueue → start itself (the payload's `t` against
 * this process's clock origin) and reports it; the pace is the same.
 */
async function latencyInProcesses(session: PeerSession, count: number, rate: number, watchdog: Watchdog, progress: (done: number) => void): Promise<LatencyResult> {
  if (session.startConsumerProcesses === undefined) throw new Error("[mq:bench] this peer cannot run consumers in other processes");
  const warmup = Math.min(200, Math.ceil(count / 10));
  const total = warmup + count;
  const samples: number[] = [];
  let started = 0;
  let lastStartAt = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const consumers = await watchdog.guard(
    session.startConsumerProcesses(DRAIN_PROCESSES, 1, () => undefined, (i, ms) => {
      if (i >= warmup) samples.push(ms);
      watchdog.tick();
      if (++started === total) {
        lastStartAt = performance.now(); // when the report arrived: at most a little after the start
        finish();
      }
    }),
  );
  consumers.go();
  const { begin, acceptedPerSecond } = await pacedEnqueues(session, total, rate, watchdog, progress);
  await watchdog.guard(finished);
  const startedPerSecond = total / ((lastStartAt - begin) / 1000);
  return { kind: "latency", rate, acceptedPerSecond, startedPerSecond, ...summarize(samples) };
}

/** Enqueue `total` stamped messages at `rate` (each not awaited); resolves when all were accepted. */
async function pacedEnqueues(session: PeerSession, total: number, rate: number, watchdog: Watchdog, progress: (done: number) => void): Promise<{ begin: number; acceptedPerSecond: number }> {
  const intervalMs = 1000 / rate;
  const pending: Promise<void>[] = [];
  const begin = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = begin + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const enqueued = session.enqueue(makePayload(i, performance.now()));
    enqueued.catch(() => undefined); // reported by Promise.all below, not as an unhandled rejection
    pending.push(enqueued);
    if ((i & 127) === 0) progress(i);
  }
  await watchdog.guard(Promise.all(pending));
  const acceptedPerSecond = total / ((performance.now() - begin) / 1000);
  watchdog.tick();
  return { begin, acceptedPerSecond };
}
