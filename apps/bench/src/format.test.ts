import { describe, expect, it } from "vitest";
import { buildComparison, fdatasyncFloor } from "./comparisons";
import { comparisonTable, describeSizes, formatRatio, formatValue, renderMarkdownTable, renderReadmeFigures, renderTextReport, replaceReadmeFigures } from "./format";
import { sampleRun } from "./_sample-run";

describe("formatting", () => {
  it("formats figures, ratios and missing values", () => {
    expect(formatValue(19_573.4, "msg/s")).toBe("19,573");
    expect(formatValue(0.644, "ms")).toBe("0.64");
    expect(formatValue("error", "ms")).toBe("error");
    expect(formatValue(Number.NaN, "ms")).toBe("n/a");
    expect(formatValue(2_000, "msg/s", true)).toBe("2,000*");
    expect(formatRatio(3.456)).toBe("3.46×");
    expect(formatRatio(25.54)).toBe("25.5×");
    expect(formatRatio(123.4)).toBe("123×");
    expect(formatRatio(undefined)).toBe("–");
  });

  it("pads a Markdown table so the pipes line up", () => {
    const lines = renderMarkdownTable(["a", "long header"], [["xyz", "1"]]).split("\n");
    expect(lines).toEqual(["| a   | long header |", "| --- | ----------- |", "| xyz | 1           |"]);
  });
});

describe("buildComparison", () => {
  const run = sampleRun();
  const rows = buildComparison(run);
  const row = (key: string) => {
    const found = rows.find((r) => r.key === key);
    if (found === undefined) throw new Error(`no row ${key}`);
    return found;
  };

  it("has six throughput rows, three latency rows and the pace kept, then p50, p99 and pace with 3 processes", () => {
    expect(rows.map((r) => r.key)).toEqual(["single", "bulk-1", "bulk-8", "drain-c1", "drain-c32", "drain-3p", "latency-p50", "latency-p99", "latency-max", "latency-pace", "latency-3p-p50", "latency-3p-p99", "latency-3p-pace"]);
    expect(row("latency-3p-p99").ratios.redisVsEverysec).toBeCloseTo(8 / 4);
    expect(row("latency-3p-p99").values["mq-interval"]).toBe("–");
  });

  it("compares @mq/redis with BullMQ on the same Redis setting", () => {
    expect(row("bulk-1").ratios.redisVsEverysec).toBeCloseTo(20_000 / 19_573);
    expect(row("drain-3p").ratios.redisVsEverysec).toBeCloseTo(3);
    expect(row("latency-p99").ratios.redisVsEverysec).toBeCloseTo(6.9 / 13.8);
    expect(row("latency-p99").ratios.redisVsAlways).toBeCloseTo(0.5);
    expect(row("bulk-8").ratios.redisVsAlways).toBeUndefined();
    expect(row("bulk-8").values["mq-redis-always"]).toBe("error");
    // Not a workload of the embedded peers, nor of a peer whose result is missing.
    expect(row("drain-3p").values["mq-batch"]).toBe("–");
    expect(row("drain-3p").values["mq-redis-always"]).toBe("–");
    expect(row("drain-3p").ratios.redisVsAlways).toBeUndefined();
  });

  it("puts the @mq/redis columns and ratios in the table", () => {
    const table = comparisonTable(rows);
    expect(table.header).toContain("@mq/redis everysec");
    expect(table.header).toContain("@mq/redis ÷ BullMQ always");
    const drain3p = table.rows.find((r) => r[0]?.startsWith("drain, no-op handler, 3 consumer processes"));
    expect(drain3p?.slice(1, 7)).toEqual(["3,000", "1,000", "9,000", "–", "–", "–"]);
    expect(drain3p?.[10]).toBe("3.00×");
  });

  it("says which sizes the embedded and the Redis peers ran", () => {
    expect(describeSizes(run)).toContain("Redis peers (BullMQ, @mq/redis): 20,000 messages per bulk and drain workload, 1,000 single enqueues");
    const { redisSizes: _dropped, ...older } = run;
    expect(describeSizes(older)).toBe("100,000 messages per bulk and drain workload, 5,000 single enqueues, 3,000 latency samples");
  });

  it("divides @mq by BullMQ for throughput and BullMQ by @mq for latency", () => {
    expect(row("drain-c32").ratios.intervalVsEverysec).toBeCloseTo(67_207 / 15_487);
    expect(row("drain-c32").ratios.batchVsAlways).toBeCloseTo(21_254 / 8_000);
    expect(row("latency-p99").ratios.intervalVsEverysec).toBeCloseTo(6.9 / 0.9);
  });

  it("checks the issue-12 targets, marking what was not measured", () => {
    const bulk1 = row("bulk-1").targets;
    expect(bulk1[0]).toMatchObject({ text: "interval ≥ 25× everysec", met: true });
    expect(fdatasyncFloor(run)).toBe(300_000);
    expect(bulk1[1]?.measured).toBeCloseTo(65_485 / 300_000);
    expect(bulk1[1]?.met).toBe(false);
    expect(row("bulk-8").targets[0]).toMatchObject({ met: undefined, display: "–" });
    expect(row("drain-c32").targets.map((t) => t.met)).toEqual([false, false, false]);
    const p99 = row("latency-p99").targets;
    expect(p99[0]?.met).toBe(true);
    expect(p99[1]).toMatchObject({ text: "batch ≤ fdatasync p99 + 1 ms (2.06 ms)", met: false });
    expect(row("bulk-8").values["mq-batch"]).toBe("error");
  });

  it("renders the text report with the disk line and every target", () => {
    const text = renderTextReport(run, rows);
    expect(text).toContain("p99 1.06 ms");
    expect(text).toContain("interval ≥ 15× everysec: 4.3× ✗");
    expect(text).toContain("| single awaited enqueue (msg/s)");
    expect(text).toMatch(/\| drain, no-op handler, concurrency 1 \(msg\/s\) +\| 4,918 +\| 2,000\* /);
  });
});

describe("README figures", () => {
  it("replaces only the section between the markers and says when the machine was loaded", () => {
    const run = sampleRun();
    const figures = renderReadmeFigures({ ...run, machine: { ...run.machine, loadAverage: { start: 9, end: 3 } } }, buildComparison(run));
    expect(figures).toContain("**the machine was loaded**");
    const readme = "# x\n<!-- figures:start -->\nold\n<!-- figures:end -->\ntail\n";
    const updated = replaceReadmeFigures(readme, figures);
    expect(updated).not.toContain("old");
    expect(updated.startsWith("# x\n<!-- figures:start -->\nMeasured 2026-12-02 00:00 UTC")).toBe(true);
    expect(updated.endsWith("<!-- figures:end -->\ntail\n")).toBe(true);
    expect(() => replaceReadmeFigures("# no markers", figures)).toThrow(/figures:start/);
  });
});
