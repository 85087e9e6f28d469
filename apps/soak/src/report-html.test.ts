import { describe, expect, it } from "vitest";
import { fakeResult } from "../test/fixtures";
import { renderReport } from "./report-html";
import { barChart, esc, lineChart, ticks } from "./svg-plot";

describe("renderReport", () => {
  it("is one self-contained page with the throughput, latency and recovery plots", () => {
    const html = renderReport(fakeResult());
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).toContain("Throughput over time");
    expect(html).toContain("Recovery time per restart");
    expect(html).toContain("Latency percentiles");
    expect(html).toContain('class="badge pass"');
    // No external assets: nothing is fetched.
    expect(html).not.toMatch(/<(script|link|img)\b/);
    expect(html).not.toMatch(/https?:\/\//);
    // Kills and SIGSTOP episodes are drawn on the time plots.
    expect(html).toContain("SIGKILL gen 2");
    expect(html).toContain("crash-poison gen 1");
    expect(html).toContain("SIGSTOP gen 1");
  });

  it("shows violations with the checker's example", () => {
    const html = renderReport(fakeResult([]));
    expect(html).toContain('class="badge');
    const broken = renderReport({ ...fakeResult(), verdict: "fail", reasons: ["lost: 1 (<b>x</b>)"] });
    expect(broken).toContain("lost: 1 (&lt;b&gt;x&lt;/b&gt;)");
  });

  it("adds a memory plot when M1 ran", () => {
    const base = fakeResult();
    const html = renderReport({ ...base, memory: { samples: [{ gen: 1, atMs: 1_000, heapUsed: 2e7, rss: 5e7 }, { gen: 1, atMs: 2_000, heapUsed: 2.1e7, rss: 5e7 }], slopeMbPerHour: 0.5, limitMbPerHour: 2 } });
    expect(html.match(/<svg /g)).toHaveLength(5);
    expect(html).toContain("0.50 MB/h");
  });
});

describe("svg plots", () => {
  it("picks round ticks", () => {
    expect(ticks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(ticks(0, 7)).toEqual([0, 2, 4, 6]);
    expect(ticks(5, 5)).toEqual([5]);
  });

  it("escapes text and draws one polyline per series and one line per marker", () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    const svg = lineChart({ title: "t <1>", xLabel: "x", yLabel: "y" }, [{ name: "a", color: "#000", points: [[0, 1], [1, 2], [2, Number.NaN]] }], [{ x: 1, color: "#f00", title: "SIGKILL 1" }]);
    expect(svg).toContain("t &lt;1&gt;");
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg).toContain("SIGKILL 1");
    expect(svg).not.toContain("NaN");
  });

  it("draws bars on a log axis when asked", () => {
    const svg = barChart({ title: "b", xLabel: "x", yLabel: "y", log: true }, [{ label: "a", value: 1, color: "#000" }, { label: "b", value: 10_000, color: "#000" }]);
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).toContain(">10k<");
  });
});
