// @ts-check
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * @typedef {{ name: string, value: number, unit: string, target?: string, note?: string }} BenchRow
 */

/** A short description of the machine, printed with every result set. */
export function machine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

/**
 * Prints a table of figures and writes them as JSON to `bench-results/<suite>.json`
 * in the current package.
 * @param {string} suite
 * @param {BenchRow[]} rows
 */
export function report(suite, rows) {
  const m = machine();
  console.log(`\n${suite}  (node ${m.node}, ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB)`);
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  for (const r of rows) {
    const v = r.value >= 100 ? Math.round(r.value).toLocaleString("en-US") : r.value.toFixed(3);
    console.log(`  ${r.name.padEnd(width)}  ${v.padStart(14)} ${r.unit}${r.target ? `   (target ${r.target})` : ""}${r.note ? `  ${r.note}` : ""}`);
  }
  const dir = path.resolve("bench-results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${suite.replace(/[^a-z0-9-]+/gi, "-")}.json`);
  writeFileSync(file, JSON.stringify({ suite, machine: m, at: new Date().toISOString(), rows }, null, 2));
  console.log(`  -> ${path.relative(process.cwd(), file)}`);
}

/**
 * Runs `fn` repeatedly for about `ms` milliseconds and returns operations per second.
 * `fn` returns how many operations it performed.
 * @param {() => number} fn
 * @param {number} [ms]
 */
export function opsPerSecond(fn, ms = 1000) {
  for (let i = 0; i < 3; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    ops += fn();
    now = process.hrtime.bigint();
  }
  return ops / (Number(now - start) / 1e9);
}
