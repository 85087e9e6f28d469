import { fdatasyncFloor, type ComparisonRow, type TargetCheck } from "./comparisons";
import { PEER_IDS, PEER_LABELS } from "./peer";
import type { RunResult } from "./run-result";

/** A figure as shown: msg/s as whole numbers with separators, ms with two decimals; `*` marks a partial (capped) run. */
export function formatValue(value: number | string, unit: "msg/s" | "ms", partial = false): string {
  if (typeof value === "string") return value;
  if (!Number.isFinite(value)) return "n/a";
  return (unit === "ms" ? value.toFixed(2) : Math.round(value).toLocaleString("en-US")) + (partial ? "*" : "");
}

/** A ratio as shown (`12.3×`), or `–` when either side is missing. */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return "–";
  return ratio >= 100 ? `${Math.round(ratio)}×` : `${ratio.toFixed(ratio >= 10 ? 1 : 2)}×`;
}

/** One target as shown: `interval ≥ 25×: 5.90× ✗`. */
export function formatTarget(target: TargetCheck): string {
  if (target.met === undefined) return `${target.text}: not measured`;
  return `${target.text}: ${target.display} ${target.met ? "✓" : "✗"}`;
}

/** A Markdown table with padded columns (readable as plain text too). */
export function renderMarkdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(Math.max(3, w))).join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** The header and rows of the comparison table. */
export function comparisonTable(rows: readonly ComparisonRow[]): { header: string[]; rows: string[][] } {
  return {
    header: ["workload", ...PEER_IDS.map((id) => PEER_LABELS[id]), "interval ÷ everysec", "batch ÷ always", "batch ÷ everysec", "@mq/redis ÷ BullMQ everysec", "@mq/redis ÷ BullMQ always", "issue-12 target: measured"],
    rows: rows.map((row) => [
      row.label,
      ...PEER_IDS.map((id) => formatValue(row.values[id], row.unit, row.partial[id])),
      formatRatio(row.ratios.intervalVsEverysec),
      formatRatio(row.ratios.batchVsAlways),
      formatRatio(row.ratios.batchVsEverysec),
      formatRatio(row.ratios.redisVsEverysec),
      formatRatio(row.ratios.redisVsAlways),
      row.targets.map(formatTarget).join("; "),
    ]),
  };
}

/** One line about the disk: its fdatasync percentiles, rate and the batch floor it implies. */
export function describeFdatasync(run: RunResult): string {
  const f = run.fdatasync;
  return `disk fdatasync (256-byte append + fdatasync, ${f.samples.toLocaleString("en-US")} samples in ${f.dir}): p50 ${f.p50Ms.toFixed(2)} ms, p99 ${f.p99Ms.toFixed(2)} ms, max ${f.maxMs.toFixed(2)} ms, ${Math.round(f.perSecond).toLocaleString("en-US")}/s; floor for 1 producer awaiting batches of 100 = ${Math.round(fdatasyncFloor(run)).toLocaleString("en-US")} msg/s`;
}

/** What the ratio columns mean. */
export const RATIO_LEGEND =
  "Ratios: higher is better for @mq (msg/s: @mq ÷ BullMQ; latency: BullMQ ÷ @mq). Equal-durability pairs: @mq interval (fdatasync every 100 ms) ~ BullMQ everysec; @mq batch (fdatasync before each enqueue/ack resolves) ~ BullMQ always; @mq/redis and BullMQ on the same redis-server (everysec, always) are equal by construction. – for a workload a peer does not run (3 consumer processes need a shared server). ✓ met, ✗ not met, – not measured. * stopped at the time cap: the rate over the messages finished by then.";

/** How many messages each kind of peer ran: the Redis peers run smaller sizes. */
export function describeSizes(run: RunResult): string {
  const z = run.sizes;
  const r = run.redisSizes;
  const n = (v: number): string => v.toLocaleString("en-US");
  const embedded = `${n(z.bulk)} messages per bulk and drain workload, ${n(z.single)} single enqueues, ${n(z.latency)} latency samples`;
  if (r === undefined) return embedded;
  return `@mq embedded: ${embedded}; Redis peers (BullMQ, @mq/redis): ${n(r.bulk)} messages per bulk and drain workload, ${n(r.single)} single enqueues, ${n(r.latency)} latency samples; time cap ${z.capSeconds} s per workload`;
}

/** The full text report printed at the end of a run. */
export function renderTextReport(run: RunResult, rows: readonly ComparisonRow[]): string {
  const m = run.machine;
  const table = comparisonTable(rows);
  return [
    `@mq vs BullMQ, ${run.payloadBytes}-byte payloads, ${run.startedAt}`,
    `sizes: ${describeSizes(run)}`,
    `machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, redis-server ${m.redisServer ?? "not found"}, bullmq ${m.bullmq}; load average ${m.loadAverage.start.toFixed(2)} → ${m.loadAverage.end.toFixed(2)}`,
    describeFdatasync(run),
    "",
    renderMarkdownTable(table.header, table.rows),
    "",
    RATIO_LEGEND,
  ].join("\n");
}

/** The "Latest figures" section of the README: when, where, the disk, the table, the legend. */
export function renderReadmeFigures(run: RunResult, rows: readonly ComparisonRow[]): string {
  const m = run.machine;
  const table = comparisonTable(rows);
  const loaded = Math.max(m.loadAverage.start, m.loadAverage.end) > m.cpus;
  return [
    `Measured ${run.startedAt.slice(0, 16).replace("T", " ")} UTC with \`pnpm bench:peers\` (${describeSizes(run)}; the run took ${Math.round(run.durationSeconds)} s):`,
    "",
    `- machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, redis-server ${m.redisServer ?? "not found"}, bullmq ${m.bullmq}`,
    `- load average (1 min) ${m.loadAverage.start.toFixed(1)} at the start, ${m.loadAverage.end.toFixed(1)} at the end${loaded ? `: **the machine was loaded** (more runnable work than its ${m.cpus} cores), so every figure here is lower and noisier than on a quiet machine` : ""}`,
    `- ${describeFdatasync(run)}`,
    "",
    renderMarkdownTable(table.header, table.rows),
    "",
    RATIO_LEGEND,
  ].join("\n");
}

/** Replace what lies between the figures markers of a README with `figures`. */
export function replaceReadmeFigures(readme: string, figures: string): string {
  const start = "<!-- figures:start -->";
  const end = "<!-- figures:end -->";
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`[mq:bench] the README has no ${start} … ${end} section`);
  return `${readme.slice(0, from + start.length)}\n${figures}\n${readme.slice(to)}`;
}
