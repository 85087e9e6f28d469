import { describe, expect, it } from "vitest";
import { buildComparison } from "./comparisons";
import { escapeHtml, renderHtmlReport } from "./report-html";
import { sampleRun } from "./_sample-run";

describe("renderHtmlReport", () => {
  const run = sampleRun();
  const html = renderHtmlReport(run, buildComparison(run));

  it("is self-contained: inline SVG, no scripts, nothing fetched", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<script|<link|https?:\/\//i);
    expect(html.match(/<svg /g)).toHaveLength(13); // one chart per row
  });

  it("escapes text from the run", () => {
    expect(html).toContain("AMD EPYC &lt;test&gt;");
    expect(escapeHtml(`<a href="x">&`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;");
  });

  it("draws a bar per peer with its figure", () => {
    expect(html).toContain("67,207 msg/s");
    expect(html).toContain(">error<");
  });
});
