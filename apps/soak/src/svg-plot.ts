/** One line of a chart. */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

/** A vertical marker (a kill, a SIGSTOP). */
export interface Marker {
  readonly x: number;
  readonly color: string;
  readonly title: string;
}

/** A shaded span of x (a SIGSTOP episode). */
export interface Band {
  readonly from: number;
  readonly to: number;
  readonly color: string;
  readonly title: string;
}

/** What a chart shows. */
export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
}

const M = { top: 34, right: 16, bottom: 42, left: 64 };

/** Escapes text for HTML and SVG. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** About five round tick values from 0 (or lo) to hi. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const fmt = (v: number): string => (Math.abs(v) >= 10_000 ? `${Math.round(v / 1_000)}k` : Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1));

function frame(spec: ChartSpec, x: (v: number) => number, y: (v: number) => number, xs: number[], ys: number[], w: number, h: number): string {
  const grid = ys.map((v) => `<line x1="${M.left}" x2="${w - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/><text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`).join("");
  const xt = xs.map((v) => `<line x1="${x(v)}" x2="${x(v)}" y1="${h - M.bottom}" y2="${h - M.bottom + 4}" stroke="#6b7280"/><text x="${x(v)}" y="${h - M.bottom + 16}" text-anchor="middle">${fmt(v)}</text>`).join("");
  return (
    `<text x="${M.left}" y="20" class="title">${esc(spec.title)}</text>${grid}${xt}` +
    `<line x1="${M.left}" x2="${w - M.right}" y1="${h - M.bottom}" y2="${h - M.bottom}" stroke="#6b7280"/>` +
    `<text x="${(M.left + w - M.right) / 2}" y="${h - 6}" text-anchor="middle">${esc(spec.xLabel)}</text>` +
    `<text transform="translate(14 ${(M.top + h - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`
  );
}

function legend(items: readonly { name: string; color: string }[], w: number): string {
  let x = w - M.right;
  return items
    .map((s) => {
      x -= 8 + s.name.length * 6.5 + 16;
      return `<rect x="${x}" y="11" width="12" height="4" fill="${s.color}"/><text x="${x + 16}" y="17">${esc(s.name)}</text>`;
    })
    .join("");
}

/** A line chart as an inline SVG element, with optional vertical markers. */
export function lineChart(spec: ChartSpec, series: readonly Series[], markers: readonly Marker[] = [], bands: readonly Band[] = []): string {
  const w = spec.width ?? 1_100;
  const h = spec.height ?? 300;
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]), ...markers.map((m) => m.x));
  const yMax = Math.max(1, ...all.map((p) => p[1]).filter(Number.isFinite)) * 1.08;
  const x = (v: number): number => Math.round((M.left + (v / xMax) * (w - M.left - M.right)) * 10) / 10;
  const y = (v: number): number => Math.round((h - M.bottom - (v / yMax) * (h - M.top - M.bottom)) * 10) / 10;
  const shades = bands.map((b) => `<rect x="${x(b.from)}" y="${M.top}" width="${Math.max(1, x(b.to) - x(b.from))}" height="${h - M.top - M.bottom}" fill="${b.color}" opacity="0.18"><title>${esc(b.title)}</title></rect>`).join("");
  const marks = markers.map((m) => `<line x1="${x(m.x)}" x2="${x(m.x)}" y1="${M.top}" y2="${h - M.bottom}" stroke="${m.color}" stroke-width="1" opacity="0.55"><title>${esc(m.title)}</title></line>`).join("");
  const lines = series
    .map((s) => {
      const pts = s.points.filter((p) => Number.isFinite(p[1])).map((p) => `${x(p[0])},${y(p[1])}`).join(" ");
      return `<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${pts}"><title>${esc(s.name)}</title></polyline>`;
    })
    .join("");
  const legendItems = [...series.map((s) => ({ name: s.name, color: s.color })), ...uniqueMarkerKinds(markers), ...uniqueMarkerKinds(bands.map((b) => ({ x: b.from, color: b.color, title: b.title })))];
  return `<svg class="plot" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${frame(spec, x, y, ticks(0, xMax), ticks(0, yMax / 1.08), w, h)}${shades}${marks}${lines}${legend(legendItems, w)}</svg>`;
}

function uniqueMarkerKinds(markers: readonly Marker[]): { name: string; color: string }[] {
  const seen = new Map<string, string>();
  for (const m of markers) {
    const kind = m.title.split(" ")[0]!;
    if (!seen.has(kind)) seen.set(kind, m.color);
  }
  return [...seen].map(([name, color]) => ({ name, color }));
}

/** A bar chart (one bar per value) as an inline SVG element; `log` uses a log10 value axis (for values spanning decades). */
export function barChart(spec: ChartSpec & { readonly log?: boolean }, bars: readonly { readonly label: string; readonly value: number; readonly color: string; readonly title?: string }[]): string {
  const w = spec.width ?? 1_100;
  const h = spec.height ?? 300;
  const log = spec.log === true;
  const scale = (v: number): number => (log ? Math.log10(1 + Math.max(0, v)) : v);
  const yMax = Math.max(log ? scale(10) : 1, ...bars.map((b) => scale(b.value)).filter(Number.isFinite)) * 1.1;
  const y = (v: number): number => Math.round((h - M.bottom - (scale(v) / yMax) * (h - M.top - M.bottom)) * 10) / 10;
  const slot = (w - M.left - M.right) / Math.max(1, bars.length);
  const every = Math.max(1, Math.ceil(bars.length / 30));
  const body = bars
    .map((b, i) => {
      const bx = M.left + i * slot + slot * 0.15;
      const v = Number.isFinite(b.value) ? b.value : 0;
      const label = i % every === 0 ? `<text x="${bx + slot * 0.35}" y="${h - M.bottom + 16}" text-anchor="middle">${esc(b.label)}</text>` : "";
      return `<rect x="${bx.toFixed(1)}" y="${y(v)}" width="${(slot * 0.7).toFixed(1)}" height="${(h - M.bottom - y(v)).toFixed(1)}" fill="${b.color}"><title>${esc(b.title ?? `${b.label}: ${fmt(v)}`)}</title></rect>${label}`;
    })
    .join("");
  const gridValues = log ? [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000].filter((v) => scale(v) <= yMax) : ticks(0, yMax / 1.1);
  const grid = gridValues
    .map((v) => `<line x1="${M.left}" x2="${w - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/><text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`)
    .join("");
  return (
    `<svg class="plot" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><text x="${M.left}" y="20" class="title">${esc(spec.title)}</text>${grid}${body}` +
    `<line x1="${M.left}" x2="${w - M.right}" y1="${h - M.bottom}" y2="${h - M.bottom}" stroke="#6b7280"/>` +
    `<text x="${(M.left + w - M.right) / 2}" y="${h - 6}" text-anchor="middle">${esc(spec.xLabel)}</text>` +
    `<text transform="translate(14 ${(M.top + h - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text></svg>`
  );
}
