import { formatDuration } from "./duration";
import type { SoakResult } from "./result";
import { barChart, esc, lineChart, type Band, type Marker } from "./svg-plot";

const COLORS = { enq: "#2563eb", ack: "#16a34a", kill: "#dc2626", self: "#9333ea", stop: "#f59e0b", p50: "#0891b2", p90: "#7c3aed", p99: "#e11d48", torn: "#9333ea", drain: "#64748b", plain: "#0d9488" };
const n = (v: number): string => (Number.isFinite(v) ? v.toLocaleString("en-US", { maximumFractionDigits: 1 }) : "–");

/** The self-contained HTML report of a run: figures, inline SVG plots, the checker's findings. No external assets. */
export function renderReport(r: SoakResult): string {
  const secs = r.throughput.perSecond;
  const markers: Marker[] = [
    ...r.killLog.filter((k) => k.kind !== "sigterm").map((k) => ({ x: k.atMs / 1_000, color: k.kind === "self" ? COLORS.self : COLORS.kill, title: `${k.kind === "self" ? "crash-poison" : "SIGKILL"} gen ${k.gen} at ${(k.atMs / 1_000).toFixed(1)} s` })),
    ...r.killLog.filter((k) => k.kind === "sigterm").map((k) => ({ x: k.atMs / 1_000, color: COLORS.drain, title: `SIGTERM gen ${k.gen}` })),
  ];
  const bands: Band[] = r.sigstops.map((s) => ({ from: s.atMs / 1_000, to: (s.atMs + s.stoppedMs) / 1_000, color: COLORS.stop, title: `SIGSTOP gen ${s.gen} for ${s.stoppedMs} ms` }));
  const throughput = lineChart(
    { title: "Throughput over time (messages per second) with kills", xLabel: "seconds since start", yLabel: "messages / s" },
    [
      { name: "enqueued/s", color: COLORS.enq, points: secs.map((s) => [s.t, s.enqueued]) },
      { name: "acked/s", color: COLORS.ack, points: secs.map((s) => [s.t, s.acked]) },
    ],
    markers,
    bands,
  );
  const latencyOverTime = lineChart(
    { title: "End-to-end latency per second (enqueue call to ack resolved)", xLabel: "seconds since start", yLabel: "ms" },
    [
      { name: "p50", color: COLORS.p50, points: secs.map((s) => [s.t, s.p50]) },
      { name: "p99", color: COLORS.p99, points: secs.map((s) => [s.t, s.p99]) },
    ],
    markers,
    bands,
  );
  const pct = (name: string, s: SoakResult["latencyMs"]["e2e"]): { label: string; value: number; color: string; title: string }[] =>
    (["p50", "p90", "p99"] as const).map((k) => ({ label: `${name} ${k}`, value: s[k], color: COLORS[k], title: `${name} ${k}: ${n(s[k])} ms` }));
  const latencyBars = barChart({ title: "Latency percentiles over the whole run (ms, log scale)", xLabel: "operation and percentile", yLabel: "ms (log)", height: 260, log: true }, [...pct("e2e", r.latencyMs.e2e), ...pct("enqueue", r.latencyMs.enqueue), ...pct("ack", r.latencyMs.ack)]);
  const tornGens = new Set(r.torn.records.map((t) => t.gen));
  const recovery = barChart(
    { title: "Recovery time per restart (ms; purple = after a torn tail, grey = drain)", xLabel: "process generation", yLabel: "ms" },
    r.restarts.slice(1).map((x) => ({
      label: String(x.gen),
      value: x.recovery.durationMs,
      color: x.drain ? COLORS.drain : tornGens.has(x.gen) ? COLORS.torn : COLORS.plain,
      title: `gen ${x.gen}: recovery ${x.recovery.durationMs.toFixed(1)} ms, ${x.recovery.framesReplayed} frames replayed, spawn to ready ${Math.round(x.startMs)} ms${x.recovery.truncated ? `, truncated ${x.recovery.truncated.bytes} B` : ""}`,
    })),
  );
  const memory =
    r.memory === undefined
      ? ""
      : `<h2>Memory (M1)</h2><p>Heap after <code>gc()</code>; slope over the second half, each process generation with its own baseline: <b>${r.memory.slopeMbPerHour.toFixed(2)} MB/h</b> (limit ${r.memory.limitMbPerHour} MB/h).</p>` +
        lineChart({ title: "heapUsed after GC (MB)", xLabel: "seconds since start", yLabel: "MB" }, [{ name: "heapUsed", color: COLORS.enq, points: r.memory.samples.map((m) => [m.atMs / 1_000, m.heapUsed / 1e6]) }], markers);
  const counts = Object.entries(r.checker.counts)
    .map(([k, v]) => `<tr class="${v > 0 && r.checker.violations.some((x) => x.cls === k) ? "bad" : ""}"><td>${esc(k)}</td><td>${n(v)}</td></tr>`)
    .join("");
  const m = r.messages;
  const figures: [string, string][] = [
    ["Mode", `${r.options.mode} (${formatDuration(r.options.durationMs)} chaos, ${r.options.producers} producers, ${r.options.consumers} consumers, durability ${r.options.durability})`],
    ["Kill cycles", `${r.kills.total} SIGKILL (${r.kills.sigkill} by the harness, ${r.kills.self} crash-poison), ${r.kills.sigterm} SIGTERM, ${r.kills.sigstops} SIGSTOP`],
    ["Recovery time", `min ${n(r.recoveryMs.min)} ms · p50 ${n(r.recoveryMs.p50)} ms · max ${n(r.recoveryMs.max)} ms over ${r.recoveryMs.n} restarts (spawn to ready p50 ${n(r.startMs.p50)} ms)`],
    ["Torn tails", `${r.torn.appended} appended, ${r.torn.truncated} truncated by recovery`],
    ["Messages", `${n(m.created)} created · ${n(m.replaced)} replaced · ${n(m.duplicates)} duplicates dropped · ${n(m.published)} published with an ack`],
    ["Deliveries", `${n(m.deliveries)} delivered · ${n(m.acked)} acked · ${n(m.nacked)} nacked · ${n(m.ackFailed)} acks refused (lease lost)`],
    ["Dead letters", `${Object.entries(m.deadLetters).map(([k, v]) => `${n(v)} ${esc(k)}`).join(" · ") || "none"}; crash-poison ${m.poison.deadLettered}/${m.poison.enqueued} as poison`],
    ["Throughput", `${n(r.throughput.meanAckedPerSecond)} acks/s mean over the chaos phase`],
    ["Drain", `${r.drain.polls} polls, ${r.drain.attempts} drain process(es)`],
    ["Machine", `Node ${esc(r.machine.node)}, ${esc(r.machine.platform)}, ${r.machine.cpus} CPUs`],
  ];
  const violations = r.checker.violations.length === 0 ? "<p>No violations.</p>" : `<pre>${esc(r.checker.text)}</pre>`;
  const reasons = r.reasons.length === 0 ? "" : `<ul class="reasons">${r.reasons.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>`;
  const restartRows = r.restarts
    .map((x) => `<tr><td>${x.gen}</td><td>${(x.atMs / 1_000).toFixed(1)}</td><td>${n(x.recovery.durationMs)}</td><td>${n(x.startMs)}</td><td>${x.recovery.framesReplayed}</td><td>${x.recovery.truncated ? `${x.recovery.truncated.bytes} B at ${x.recovery.truncated.offset}` : ""}</td><td>${x.drain ? "drain" : ""}</td></tr>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>@mq soak ${esc(r.options.mode)} — ${r.verdict}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1140px;color:#111827;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600;margin-left:8px}
.pass{background:#16a34a}.fail{background:#dc2626}.inconclusive{background:#d97706}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
tr.bad td{color:#b91c1c;font-weight:600}.plot{display:block;margin:8px 0;background:#fff;border:1px solid #e5e7eb;border-radius:6px;max-width:100%;height:auto}
.plot text{font-size:11px;fill:#374151}.plot .title{font-size:13px;font-weight:600;fill:#111827}
pre{background:#f3f4f6;padding:10px;overflow:auto;font-size:12px;white-space:pre-wrap;word-break:break-all;max-height:480px}.muted{color:#6b7280}.reasons li{color:#b91c1c}
.cols{display:flex;gap:24px;flex-wrap:wrap}
</style></head><body>
<h1>@mq soak report <span class="badge ${r.verdict}">${r.verdict.toUpperCase()}</span></h1>
<p class="muted">Started ${esc(r.startedAt)} · chaos ${formatDuration(r.chaosMs)} · total ${formatDuration(r.totalMs)} · checker ${r.checker.valid ? "VALID" : "INVALID"} over ${n(r.checker.totals.events)} events, ${n(r.checker.totals.ids)} message ids</p>
${reasons}
<table>${figures.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")}</table>
<h2>Throughput</h2>${throughput}
<h2>Latency</h2>${latencyOverTime}${latencyBars}
<h2>Restarts</h2>${recovery}
${memory}
<h2>History checker</h2>
<div class="cols"><table><tr><th>class</th><th>count</th></tr>${counts}</table><div style="flex:1;min-width:420px">${violations}
<p class="muted">recovered, duplicateDelivery and allowedLoss are counted, never violations: at-least-once delivery allows them (a duplicate must still be explained by a lease expiry, a nack or a crash).</p>${r.checker.notes.map((x) => `<p class="muted">note: ${esc(x)}</p>`).join("")}</div></div>
<details><summary>Every restart (${r.restarts.length})</summary><table><tr><th>gen</th><th>ready at s</th><th>recovery ms</th><th>spawn to ready ms</th><th>frames replayed</th><th>torn tail cut</th><th></th></tr>${restartRows}</table></details>
</body></html>
`;
}
