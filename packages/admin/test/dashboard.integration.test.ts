import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createQueueHost, type QueueHost } from "@mq/host";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminServer, type AdminServer } from "../src/index";
import { until } from "./support";

const CHROMIUM = process.env.MQ_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[mq:admin] dashboard browser test skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set MQ_CHROMIUM)`);

// The README's screenshot is tracked in git: the test only rewrites it when
// asked (MQ_UPDATE_SCREENSHOTS=1); otherwise it writes to a temp folder.
const DOCS_SCREENSHOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "docs", "dashboard.png");
const UPDATE_SCREENSHOTS = process.env.MQ_UPDATE_SCREENSHOTS === "1";
const docsBefore = existsSync(DOCS_SCREENSHOT) ? { bytes: readFileSync(DOCS_SCREENSHOT), mtimeMs: statSync(DOCS_SCREENSHOT).mtimeMs } : undefined;

describe.skipIf(!hasChromium)("dashboard in headless Chromium", () => {
  let host: QueueHost;
  let server: AdminServer;
  let browser: Browser;
  let page: Page;
  let producing = true;
  let producer: Promise<void> | undefined;
  let scratch: string | undefined;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "mq-admin-dashboard-"));
    host = createQueueHost({ durability: "none" });
    const failedOnce = new Set<number>();
    // Every 25th payment is declined once: it is dead-lettered, and succeeds when replayed.
    host.handle<number>(
      "payments",
      async (n) => {
        await new Promise((r) => setTimeout(r, 2 + (n % 5)));
        if (n % 25 === 7 && !failedOnce.has(n)) {
          failedOnce.add(n);
          throw new Error(`card declined for payment ${n}`);
        }
      },
      { maxParallelism: 2, maxRetries: 0 },
    );
    host.handle<number>("emails", () => new Promise((r) => setTimeout(r, 1)), { maxParallelism: 1 });
    await host.start();
    server = await createAdminServer(host, { token: "browser-test-token-0123", liveIntervalMs: 250 });
    producer = (async () => {
      for (let n = 0; producing; n++) {
        await host.enqueue("payments", n);
        if (n % 3 === 0) await host.enqueue("emails", n);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("requestfailed", (r) => {
      if (!r.url().endsWith("/api/events")) problems.push(`request failed: ${r.url()}`);
    });
    (page as unknown as { problems: string[] }).problems = problems;
  });

  afterAll(async () => {
    producing = false;
    await producer;
    await browser?.close();
    await server?.close();
    await host?.stop({ drainTimeoutMs: 1_000 });
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it("loads with every asset from the server (uPlot included) and shows live numbers that change", async () => {
    await page.goto(server.dashboardUrl);
    // The token moved from the URL into session storage.
    await until(() => !page.url().includes("token="), 10_000, "token removed from the URL");
    const acked = page.locator('[data-testid=queues] tr[data-queue=payments] td[data-field=acked]');
    await acked.waitFor({ timeout: 15_000 });
    const first = Number((await acked.textContent())!.replace(/k$/, "e3"));
    await until(async () => Number((await acked.textContent())!.replace(/k$/, "e3")) > first, 15_000, "acked count to grow in the page");
    expect(await page.locator("[data-testid=health]").textContent()).toBe("healthy");
    expect(await page.evaluate("typeof window.uPlot")).toBe("function");
    expect(await page.locator(".uplot").count()).toBe(2);
    expect((page as unknown as { problems: string[] }).problems).toEqual([]);
  });

  it("scales a handler from the page", async () => {
    const row = page.locator('[data-testid=handlers] tr[data-queue=payments]');
    await row.waitFor();
    await row.locator("input[type=number]").fill("7");
    await row.locator("button[data-action=scale]").click();
    await until(() => host.workers("payments")[0]!.parallelism === 7, 10_000, "parallelism 7 on the host");
    await until(async () => (await row.locator("td[data-field=parallelism]").textContent()) === "7", 10_000, "parallelism 7 in the page");
  });

  it("pauses and resumes a handler from the page", async () => {
    const row = page.locator('[data-testid=handlers] tr[data-queue=emails]');
    await row.locator("button[data-action=pause]").click();
    await until(() => host.workers("emails")[0]!.paused, 10_000, "emails paused");
    await until(async () => (await row.locator("td[data-field=state]").textContent()) === "paused", 10_000, "paused in the page");
    await row.locator("button[data-action=pause]").click();
    await until(() => !host.workers("emails")[0]!.paused, 10_000, "emails resumed");
  });

  it("replays a dead letter from the dead-letter browser", async () => {
    const firstRow = page.locator("[data-testid=dead-letters] tbody tr").first();
    await firstRow.waitFor({ timeout: 20_000 });
    const id = (await firstRow.getAttribute("data-id"))!;
    expect(await host.deadLetters.get(id)).toBeDefined();
    expect(await firstRow.textContent()).toContain("card declined");
    await firstRow.locator("button[data-action=replay]").click();
    await until(async () => (await host.deadLetters.get(id)) === undefined, 10_000, "dead letter replayed");
    await until(async () => (await page.locator(`[data-testid=dead-letters] tr[data-id="${id}"]`).count()) === 0, 10_000, "row gone from the page");
  });

  it("takes a screenshot (refreshing the README's docs/dashboard.png only with MQ_UPDATE_SCREENSHOTS=1)", async () => {
    // Let the charts gather a few more points.
    await new Promise((r) => setTimeout(r, 2_500));
    const target = UPDATE_SCREENSHOTS ? DOCS_SCREENSHOT : path.join(scratch!, "dashboard.png");
    mkdirSync(path.dirname(target), { recursive: true });
    await page.screenshot({ path: target, fullPage: true });
    expect(statSync(target).size).toBeGreaterThan(10_000);
    expect(readFileSync(target).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // The package README shows the tracked file.
    expect(readFileSync(path.join(path.dirname(DOCS_SCREENSHOT), "..", "README.md"), "utf8")).toMatch(/!\[[^\]]*\]\(docs\/dashboard\.png\)/);
    if (!UPDATE_SCREENSHOTS) {
      // A plain test run leaves the git tree clean.
      expect(docsBefore, "docs/dashboard.png is tracked").toBeDefined();
      expect(statSync(DOCS_SCREENSHOT).mtimeMs).toBe(docsBefore!.mtimeMs);
      expect(readFileSync(DOCS_SCREENSHOT).equals(docsBefore!.bytes)).toBe(true);
    }
  });

  it("purges the dead letters from the dead-letter browser after a confirm", async () => {
    const rows = page.locator("[data-testid=dead-letters] tbody tr");
    await rows.first().waitFor({ timeout: 20_000 });
    const ids: string[] = [];
    for (let i = 0, n = await rows.count(); i < n; i++) ids.push((await rows.nth(i).getAttribute("data-id")) ?? "");
    expect(ids.length).toBeGreaterThan(0);
    // Dismissing the confirm deletes nothing.
    page.once("dialog", (dialog) => void dialog.dismiss());
    await page.locator("#dead-purge").click();
    await new Promise((r) => setTimeout(r, 500));
    expect(await host.deadLetters.get(ids[0] ?? "")).toBeDefined();
    page.once("dialog", (dialog) => {
      expect(dialog.message()).toContain("cannot be undone");
      void dialog.accept();
    });
    await page.locator("#dead-purge").click();
    await until(async () => (await Promise.all(ids.map((id) => host.deadLetters.get(id)))).every((l) => l === undefined), 10_000, "dead letters purged");
    await until(async () => (await page.locator(`[data-testid=dead-letters] tr[data-id="${ids[0]}"]`).count()) === 0, 10_000, "purged rows gone from the page");
    // The live feed may reload the list (the dead-letter count changed) before the purge's own answer sets the notice.
    await until(async () => /purge: \d+ purged/.test((await page.locator("#notice").textContent()) ?? ""), 10_000, "purge notice");
  });
});
