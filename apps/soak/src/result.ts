import type { HistoryReport } from "@mq/core/testing";
import type { HistorySummary } from "./history-summary";
import type { SoakOptions } from "./options";
import { pooledSlope, summarize, type Summary } from "./stats";
import type { SoakRun } from "./supervisor";

/** result.json: every figure of a run, the checker's report and the verdict. */
export interface SoakResult {
  readonly version: 1;
  readonly verdict: "pass" | "fail" | "inconclusive";
  /** Why the verdict is not `pass`, one line each. */
  readonly reasons: readonly string[];
  readonly options: SoakOptions;
  readonly machine: { readonly node: string; readonly platform: string; readonly cpus: number };
  readonly startedAt: string;
  readonly chaosMs: number;
  readonly totalMs: number;
  readonly kills: { readonly total: number; readonly sigkill: number; readonly self: number; readonly sigterm: number; readonly sigstops: number };
  readonly restarts: SoakRun["restarts"];
  readonly killLog: SoakRun["kills"];
  readonly sigstops: SoakRun["sigstops"];
  readonly recoveryMs: Summary;
  readonly startMs: Summary;
  readonly torn: { readonly appended: number; readonly truncated: number; readonly records: SoakRun["torn"] };
  readonly messages: HistorySummary;
  readonly throughput: { readonly perSecond: readonly { readonly t: number; readonly enqueued: number; readonly acked: number; readonly p50: number; readonly p99: number }[]; readonly meanAckedPerSecond: number };
  readonly latencyMs: { readonly e2e: Summary; readonly enqueue: Summary; readonly ack: Summary };
  readonly memory?: { readonly samples: SoakRun["mem"]; readonly slopeMbPerHour: number; readonly limitMbPerHour: number };
  readonly drain: SoakRun["drain"];
  readonly checker: { readonly valid: boolean; readonly counts: HistoryReport["counts"]; readonly totals: HistoryReport["totals"]; readonly violations: readonly { readonly cls: string; readonly count: number; readonly example: string }[]; readonly notes: readonly string[]; readonly text: string };
}

/** Puts the run, the checker's report and the history summary together and decides the verdict. */
export function buildResult(options: SoakOptions, run: SoakRun, report: HistoryReport, reportText: string, messages: HistorySummary, machine: SoakResult["machine"]): SoakResult {
  const reasons: string[] = [];
  let inconclusive = false;
  for (const v of report.violations) reasons.push(`${v.cls}: ${v.count} (e.g. ${v.example.message})`);
  const count = (kind: string): number => run.kills.filter((k) => k.kind === kind).length;
  const kills = { total: count("sigkill") + count("self"), sigkill: count("sigkill"), self: count("self"), sigterm: count("sigterm"), sigstops: run.sigstops.length };
  if (kills.total < options.minKills) {
    reasons.push(`only ${kills.total} SIGKILLs, the mode needs at least ${options.minKills}`);
    inconclusive = true;
  }
  if (options.sigstops > 0 && run.sigstops.length === 0) {
    reasons.push("no SIGSTOP episode happened");
    inconclusive = true;
  }
  const torn = { appended: run.torn.length, truncated: run.torn.filter((t) => t.truncated).length, records: run.torn };
  for (const t of run.torn) if (!t.truncated) reasons.push(`torn tail (${t.kind}, ${t.bytes} B at ${t.offset} of ${t.file}) was not reported as truncated by gen ${t.gen}`);
  if (options.tornEvery > 0 && run.torn.length === 0) {
    reasons.push("no torn tail was appended (too few restarts)");
    inconclusive = true;
  }
  for (const p of messages.poison.problems) reasons.push(p);
  if (options.crashPoison && messages.poison.enqueued === 0) {
    reasons.push("no crash-poison message was enqueued");
    inconclusive = true;
  }
  let memory: SoakResult["memory"];
  if (options.memCheck) {
    // M1: the slope over the second half of the run, each process generation with its own baseline.
    const half = run.chaosMs / 2;
    const points = run.mem.filter((m) => m.atMs >= half).map((m) => ({ group: m.gen, x: m.atMs / 3_600_000, y: m.heapUsed / 1e6 }));
    const slope = pooledSlope(points);
    memory = { samples: run.mem, slopeMbPerHour: slope, limitMbPerHour: options.memSlopeMaxMbPerHour };
    if (points.length < 4) {
      reasons.push(`M1: only ${points.length} heap samples in the second half; run longer or lower --mem-interval`);
      inconclusive = true;
    } else if (slope > options.memSlopeMaxMbPerHour) reasons.push(`M1: heap grows ${slope.toFixed(2)} MB/h after GC (limit ${options.memSlopeMaxMbPerHour} MB/h)`);
  }
  const failed = reasons.length > 0 && (!inconclusive || report.violations.length > 0 || reasons.some((r) => r.startsWith("torn") || r.startsWith("crash-poison") || r.startsWith("M1: heap")));
  const perSecond = run.seconds.map((s) => {
    const sorted = [...s.e2e].sort((a, b) => a - b);
    const q = (p: number): number => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!);
    return { t: s.second, enqueued: s.enqueued, acked: s.acked, p50: q(0.5), p99: q(0.99) };
  });
  const chaosSeconds = Math.max(1, Math.round(run.chaosMs / 1_000));
  return {
    version: 1,
    verdict: reasons.length === 0 ? "pass" : failed ? "fail" : "inconclusive",
    reasons,
    options,
    machine,
    startedAt: run.startedAt,
    chaosMs: run.chaosMs,
    totalMs: run.totalMs,
    kills,
    restarts: run.restarts,
    killLog: run.kills,
    sigstops: run.sigstops,
    recoveryMs: summarize(run.restarts.slice(1).map((r) => r.recovery.durationMs)),
    startMs: summarize(run.restarts.slice(1).map((r) => r.startMs)),
    torn,
    messages,
    throughput: { perSecond, meanAckedPerSecond: perSecond.slice(0, chaosSeconds).reduce((a, s) => a + s.acked, 0) / chaosSeconds },
    latencyMs: { e2e: summarize(run.latency.e2e), enqueue: summarize(run.latency.enqueue), ack: summarize(run.latency.ack) },
    ...(memory === undefined ? {} : { memory }),
    drain: run.drain,
    checker: {
      valid: report.valid,
      counts: report.counts,
      totals: report.totals,
      violations: report.violations.map((v) => ({ cls: v.cls, count: v.count, example: v.example.message })),
      notes: report.notes,
      text: reportText,
    },
  };
}
