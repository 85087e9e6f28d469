import { formatDuration } from "./duration";
import type { SoakResult } from "./result";
import type { Summary } from "./stats";

const ms = (v: number): string => (Number.isNaN(v) ? "-" : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
const spread = (s: Summary): string => (s.n === 0 ? "-" : `min ${ms(s.min)} / p50 ${ms(s.p50)} / p99 ${ms(s.p99)} / max ${ms(s.max)}`);

/** The summary the CLI prints at the end of a run. */
export function summaryText(r: SoakResult, dir: string): string {
  const m = r.messages;
  const dlq = Object.entries(m.deadLetters).map(([k, v]) => `${v} ${k}`).join(", ") || "none";
  const lines = [
    "",
    `soak ${r.options.mode} — ${r.verdict.toUpperCase()}`,
    `  chaos phase       ${formatDuration(r.chaosMs)} (total with drain ${formatDuration(r.totalMs)})`,
    `  kill cycles       ${r.kills.total} SIGKILL (${r.kills.sigkill} by the harness, ${r.kills.self} crash-poison), ${r.kills.sigterm} SIGTERM, ${r.kills.sigstops} SIGSTOP`,
    `  restarts          ${r.restarts.length - 1}; recovery ${r.recoveryMs.n === 0 ? "-" : `min ${ms(r.recoveryMs.min)} / p50 ${ms(r.recoveryMs.p50)} / max ${ms(r.recoveryMs.max)}`}; spawn to ready p50 ${ms(r.startMs.p50)}`,
    `  torn tails        ${r.torn.appended} appended, ${r.torn.truncated} truncated by recovery`,
    `  messages          ${m.created} created, ${m.replaced} replaced, ${m.duplicates} duplicates dropped, ${m.published} published with an ack (${m.enqueueCalls} enqueue calls)`,
    `  deliveries        ${m.deliveries} delivered, ${m.acked} acked, ${m.nacked} nacked, ${m.ackFailed} acks refused (lease lost)`,
    `  dead letters      ${dlq}; crash-poison ${m.poison.deadLettered}/${m.poison.enqueued} in the DLQ as poison (≤ ${m.poison.maxDeliveries} deliveries each)`,
    `  throughput        ${Math.round(r.throughput.meanAckedPerSecond)} acks/s mean over the chaos phase`,
    `  latency e2e       ${spread(r.latencyMs.e2e)}`,
    `  latency enqueue   ${spread(r.latencyMs.enqueue)}`,
    `  latency ack       ${spread(r.latencyMs.ack)}`,
  ];
  if (r.memory !== undefined) lines.push(`  M1 heap slope     ${r.memory.slopeMbPerHour.toFixed(2)} MB/h after GC (limit ${r.memory.limitMbPerHour} MB/h, ${r.memory.samples.length} samples)`);
  const c = r.checker;
  const counts = Object.entries(c.counts).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(", ");
  lines.push(`  checker           ${c.valid ? "VALID" : "INVALID"}: ${c.totals.events} events, ${c.totals.tokens} tokens, ${c.totals.ids} ids; violations ${c.violations.reduce((a, v) => a + v.count, 0)}${counts === "" ? "" : ` (counts: ${counts})`}`);
  if (!c.valid) lines.push("", c.text);
  for (const reason of r.reasons) lines.push(`  ✗ ${reason}`);
  lines.push(`  results           ${dir}/result.json, ${dir}/report.html`);
  return lines.join("\n");
}
