import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { renderReport } from "../src/report-html";
import { fakeResult } from "./fixtures";

const run = promisify(execFile);
const CHROMIUM = "/usr/bin/chromium";
const dir = mkdtempSync(path.join(tmpdir(), "mq-soak-render-"));
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[soak] ${CHROMIUM} not found: skipping the headless render check (apt-get install -y chromium)`);

describe.skipIf(!hasChromium)("report.html in headless Chromium", () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("renders to a screenshot", async () => {
    const html = renderReport(fakeResult());
    expect(html.match(/<svg /g)).toHaveLength(4);
    const file = path.join(dir, "report.html");
    const png = path.join(dir, "report.png");
    writeFileSync(file, html);
    const profile = mkdtempSync(path.join(dir, "profile-"));
    await run(
      CHROMIUM,
      ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`, `--screenshot=${png}`, "--window-size=1200,1600", `file://${file}`],
      { timeout: 60_000 },
    );
    expect(existsSync(png)).toBe(true);
    // A blank page compresses to a few KB; plots and text make it far larger.
    expect(statSync(png).size).toBeGreaterThan(30_000);
    const header = Buffer.alloc(8);
    const { openSync, readSync, closeSync } = await import("node:fs");
    const fd = openSync(png, "r");
    readSync(fd, header, 0, 8, 0);
    closeSync(fd);
    expect(header.toString("latin1", 1, 4)).toBe("PNG");
  });
});
