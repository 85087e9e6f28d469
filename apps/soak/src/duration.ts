const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration such as `250ms`, `90s`, `5m`, `1h`, `24h` or `1h30m` (a bare number is seconds) into milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1_000);
  const re = /(\d+(?:\.\d+)?)(ms|min|s|m|h|d)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (end === 0 || end !== s.length) throw new RangeError(`not a duration: "${text}" (use e.g. 500ms, 90s, 5m, 1h, 24h)`);
  return Math.round(total);
}

/** Formats milliseconds compactly: `850ms`, `12.5s`, `3m05s`, `1h02m`. */
export function formatDuration(msValue: number): string {
  if (msValue < 1_000) return `${Math.round(msValue)}ms`;
  if (msValue < 60_000) return `${(msValue / 1_000).toFixed(1)}s`;
  const totalS = Math.round(msValue / 1_000);
  if (totalS < 3_600) return `${Math.floor(totalS / 60)}m${String(totalS % 60).padStart(2, "0")}s`;
  const totalM = Math.floor(totalS / 60);
  return `${Math.floor(totalM / 60)}h${String(totalM % 60).padStart(2, "0")}m`;
}
