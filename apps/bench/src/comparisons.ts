import { PEER_IDS, type PeerId } from "./peer";
import type { RunResult } from "./run-result";
import type { WorkloadId } from "./workloads";

/** A row of the comparison table: one throughput workload or one latency percentile. */
export interface ComparisonRow {
  readonly key: string;
  readonly label: string;
  readonly unit: "msg/s" | "ms";
  /** Per peer: the figure, or a string saying why there is none. */
  readonly values: Record<PeerId, number | string>;
  /** Per peer: the workload stopped at the time cap (its rate is over fewer messages). */
  readonly partial: Record<PeerId, boolean>;
  /** Higher is better for @mq in every ratio: @mq ÷ BullMQ for msg/s, BullMQ ÷ @mq for ms. */
  readonly ratios: Ratios;
  readonly targets: readonly TargetCheck[];
}

/**
 * Higher is better for @mq: embedded @mq against BullMQ at (about) equal
 * durability, and @mq/redis against BullMQ on the same Redis setting.
 */
export interface Ratios {
  readonly intervalVsEverysec: number | undefined;
  readonly batchVsAlways: number | undefined;
  readonly batchVsEverysec: number | undefined;
  /** @mq/redis everysec vs BullMQ everysec (the same redis-server). */
  readonly redisVsEverysec: number | undefined;
  /** @mq/redis always vs BullMQ always (the same redis-server). */
  readonly redisVsAlways: number | undefined;
}

const NO_RATIOS: Ratios = { intervalVsEverysec: undefined, batchVsAlways: undefined, batchVsEverysec: undefined, redisVsEverysec: undefined, redisVsAlways: undefined };

/** One target of issue 12 and whether this run met it (`undefined`: not measured). */
export interface TargetCheck {
  readonly text: string;
  readonly measured: number | undefined;
  readonly display: string;
  readonly met: boolean | undefined;
}

const THROUGHPUT_ROWS: readonly [WorkloadId, string][] = [
  ["single", "single awaited enqueue"],
  ["bulk-1", "bulk enqueue (batches of 100), 1 producer"],
  ["bulk-8", "bulk enqueue (batches of 100), 8 producers"],
  ["drain-c1", "drain, no-op handler, concurrency 1"],
  ["drain-c32", "drain, no-op handler, concurrency 32"],
  ["drain-3p", "drain, no-op handler, 3 consumer processes × concurrency 32"],
];
const LATENCY_ROWS = [
  ["p50", "enqueue → handler start p50"],
  ["p99", "enqueue → handler start p99"],
  ["max", "enqueue → handler start max"],
] as const;

/** The comparison table of a run: figures, ratios and the issue-12 targets. */
export function buildComparison(run: RunResult): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const [workload, label] of THROUGHPUT_ROWS) {
    const values = valuesOf(run, workload, (r) => (r.kind === "throughput" ? r.perSecond : undefined));
    rows.push({ key: workload, label: `${label} (msg/s)`, unit: "msg/s", values, partial: partialOf(run, workload), ratios: ratiosOf(values, (mq, bull) => mq / bull), targets: throughputTargets(run, workload, values) });
  }
  for (const [stat, label] of LATENCY_ROWS) {
    const values = valuesOf(run, "latency", (r) => (r.kind === "latency" ? r[stat] : undefined));
    rows.push({ key: `latency-${stat}`, label: `${label} at ${run.sizes.latencyRate.toLocaleString("en-US")} msg/s (ms)`, unit: "ms", values, partial: partialOf(run, "latency"), ratios: ratiosOf(values, (mq, bull) => bull / mq), targets: stat === "p99" ? latencyTargets(run, values) : [] });
  }
  const kept = valuesOf(run, "latency", (r) => (r.kind === "latency" ? r.startedPerSecond : undefined));
  rows.push({ key: "latency-pace", label: `handler starts per second while offered ${run.sizes.latencyRate.toLocaleString("en-US")} msg/s (msg/s)`, unit: "msg/s", values: kept, partial: partialOf(run, "latency"), ratios: NO_RATIOS, targets: [] });
  // The same with 3 consumer processes (Redis peers only).
  for (const [stat, label] of LATENCY_ROWS) {
    if (stat === "max") continue;
    const values = valuesOf(run, "latency-3p", (r) => (r.kind === "latency" ? r[stat] : undefined));
    rows.push({ key: `latency-3p-${stat}`, label: `${label} at ${run.sizes.latencyRate.toLocaleString("en-US")} msg/s, 3 consumer processes (ms)`, unit: "ms", values, partial: partialOf(run, "latency-3p"), ratios: ratiosOf(values, (mq, bull) => bull / mq), targets: [] });
  }
  const kept3p = valuesOf(run, "latency-3p", (r) => (r.kind === "latency" ? r.startedPerSecond : undefined));
  rows.push({ key: "latency-3p-pace", label: `handler starts per second while offered ${run.sizes.latencyRate.toLocaleString("en-US")} msg/s, 3 consumer processes (msg/s)`, unit: "msg/s", values: kept3p, partial: partialOf(run, "latency-3p"), ratios: NO_RATIOS, targets: [] });
  return rows;
}

/** The batch-mode floor for one producer awaiting batches of 100: 100 × fdatasyncs/s. */
export function fdatasyncFloor(run: RunResult): number {
  return 100 * run.fdatasync.perSecond;
}

// ---------------------------------------------------------------------------

type Values = Record<PeerId, number | string>;

function valuesOf(run: RunResult, workload: WorkloadId, pick: (r: NonNullable<ReturnType<typeof resultOf>>) => number | undefined): Values {
  const values = {} as Values;
  for (const id of PEER_IDS) {
    const r = resultOf(run, id, workload);
    if (r === undefined) values[id] = run.peers[id] === undefined ? "not run" : "–"; // "–": the peer ran, this workload is not one of its own
    else if (r.kind === "error") values[id] = "error";
    else values[id] = pick(r) ?? "n/a";
  }
  return values;
}

function partialOf(run: RunResult, workload: WorkloadId): Record<PeerId, boolean> {
  const partial = {} as Record<PeerId, boolean>;
  for (const id of PEER_IDS) {
    const r = resultOf(run, id, workload);
    partial[id] = r?.kind === "throughput" && r.partial;
  }
  return partial;
}

function resultOf(run: RunResult, id: PeerId, workload: WorkloadId): NonNullable<RunResult["peers"][PeerId]>["results"][WorkloadId] {
  return run.peers[id]?.results[workload];
}

function num(v: number | string): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function ratiosOf(values: Values, ratio: (mq: number, bull: number) => number): Ratios {
  const r = (mqId: PeerId, bullId: PeerId): number | undefined => {
    const mq = num(values[mqId]);
    const bull = num(values[bullId]);
    return mq === undefined || bull === undefined || mq === 0 || bull === 0 ? undefined : ratio(mq, bull);
  };
  return {
    intervalVsEverysec: r("mq-interval", "bullmq-everysec"),
    batchVsAlways: r("mq-batch", "bullmq-always"),
    batchVsEverysec: r("mq-batch", "bullmq-everysec"),
    redisVsEverysec: r("mq-redis-everysec", "bullmq-everysec"),
    redisVsAlways: r("mq-redis-always", "bullmq-always"),
  };
}

function atLeast(text: string, measured: number | undefined, bound: number, display: (v: number) => string): TargetCheck {
  return { text, measured, display: measured === undefined ? "–" : display(measured), met: measured === undefined ? undefined : measured >= bound };
}

function atMost(text: string, measured: number | undefined, bound: number, display: (v: number) => string): TargetCheck {
  return { text, measured, display: measured === undefined ? "–" : display(measured), met: measured === undefined ? undefined : measured <= bound };
}

const times = (v: number): string => `${v.toFixed(1)}×`;
const perSecond = (v: number): string => Math.round(v).toLocaleString("en-US");
const ms = (v: number): string => `${v.toFixed(2)} ms`;

function throughputTargets(run: RunResult, workload: WorkloadId, values: Values): TargetCheck[] {
  const ratios = ratiosOf(values, (mq, bull) => mq / bull);
  switch (workload) {
    case "bulk-1": {
      const batch = num(values["mq-batch"]);
      return [
        atLeast("interval ≥ 25× everysec", ratios.intervalVsEverysec, 25, times),
        atLeast("batch ≥ 0.8 of fdatasync floor", batch === undefined ? undefined : batch / fdatasyncFloor(run), 0.8, (v) => v.toFixed(2)),
      ];
    }
    case "bulk-8":
      return [atLeast("batch ≥ 300,000 msg/s", num(values["mq-batch"]), 300_000, perSecond)];
    case "drain-c32":
      return [
        atLeast("interval ≥ 15× everysec", ratios.intervalVsEverysec, 15, times),
        atLeast("batch ≥ 150,000 msg/s", num(values["mq-batch"]), 150_000, perSecond),
        atLeast("batch ≥ 10× everysec", ratios.batchVsEverysec, 10, times),
      ];
    default:
      return [];
  }
}

function latencyTargets(run: RunResult, values: Values): TargetCheck[] {
  const bound = run.fdatasync.p99Ms + 1;
  return [
    atMost("interval ≤ 1 ms", num(values["mq-interval"]), 1, ms),
    atMost(`batch ≤ fdatasync p99 + 1 ms (${bound.toFixed(2)} ms)`, num(values["mq-batch"]), bound, ms),
  ];
}
