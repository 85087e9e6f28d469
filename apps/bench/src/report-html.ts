import type { ComparisonRow } from "./comparisons";
import { comparisonTable, describeFdatasync, formatValue, RATIO_LEGEND } from "./format";
import { PEER_IDS, PEER_LABELS, type PeerId } from "./peer";
import type { RunResult } from "./run-result";

const COLORS: Record<PeerId, string> = {
  "bullmq-everysec": "#d9822b",
  "bullmq-always": "#a6541a",
  "mq-redis-everysec": "#805ad5",
  "mq-redis-always": "#553c9a",
  "mq-batch": "#2b6cb0",
  "mq-interval": "#38a169",
};

/** A self-contained HTML page (inline SVG and CSS, no scripts, nothing fetched): the table and one bar chart per row. */
export function renderHtmlReport(run: RunResult, rows: readonly ComparisonRow[]): string {
  const table = comparisonTable(rows);
  const m = run.machine;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>@mq vs BullMQ: ${escapeHtml(run.startedAt)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #1a202c; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #cbd5e0; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child, th:last-child, td:last-child { text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
.chart h3 { font-size: 14px; margin: 0 0 4px; }
.legend span { display: inline-block; margin-right: 1em; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }
</style>
</head>
<body>
<h1>@mq vs BullMQ</h1>
<p>${escapeHtml(run.startedAt)}, ${run.payloadBytes}-byte payloads, run took ${Math.round(run.durationSeconds)} s.<br>
Machine: ${m.cpus} × ${escapeHtml(m.cpuModel)}, ${m.memoryGiB} GiB, ${escapeHtml(m.os)}, Node ${escapeHtml(m.node)}, redis-server ${escapeHtml(m.redisServer ?? "not found")}, bullmq ${escapeHtml(m.bullmq)}; load average ${m.loadAverage.start.toFixed(2)} → ${m.loadAverage.end.toFixed(2)}.<br>
${escapeHtml(describeFdatasync(run))}</p>
<table>
<thead><tr>${table.header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>
<tbody>
${table.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n")}
</tbody>
</table>
<p>${escapeHtml(RATIO_LEGEND)}</p>
<p class="legend">${PEER_IDS.map((id) => `<span><i style="background:${COLORS[id]}"></i>${escapeHtml(PEER_LABELS[id])}</span>`).join("")}</p>
<div class="charts">
${rows.map(barChart).join("\n")}
</div>
</body>
</html>
`;
}

/** Escape text for HTML content and attributes. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

// ---------------------------------------------------------------------------

const WIDTH = 460;
const LABEL_W = 110;
const BAR_H = 22;
const GAP = 6;

function barChart(row: ComparisonRow): string {
  const numbers = PEER_IDS.map((id) => row.values[id]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const max = Math.max(...numbers, Number.MIN_VALUE);
  const plotW = WIDTH - LABEL_W - 130;
  const height = PEER_IDS.length * (BAR_H + GAP) + GAP;
  const bars = PEER_IDS.map((id, i) => {
    const v = row.values[id];
    const y = GAP + i * (BAR_H + GAP);
    const w = typeof v === "number" && Number.isFinite(v) ? Math.max(1, (v / max) * plotW) : 0;
    const text = formatValue(v, row.unit, row.partial[id]) + (typeof v === "number" ? ` ${row.unit}` : "");
    return `<text x="${LABEL_W - 6}" y="${y + BAR_H * 0.7}" text-anchor="end" font-size="12">${escapeHtml(PEER_LABELS[id])}</text>` +
      `<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS[id]}"><title>${escapeHtml(text)}</title></rect>` +
      `<text x="${(LABEL_W + w + 4).toFixed(1)}" y="${y + BAR_H * 0.7}" font-size="12">${escapeHtml(text)}</text>`;
  }).join("");
  const better = row.unit === "ms" ? "lower is better" : "higher is better";
  return `<div class="chart"><h3>${escapeHtml(row.label)} <small>(${better})</small></h3><svg width="${WIDTH}" height="${height}" role="img" aria-label="${escapeHtml(row.label)}">${bars}</svg></div>`;
}
