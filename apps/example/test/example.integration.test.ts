import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = mkdtempSync(path.join(tmpdir(), "mq-example-"));
const tsx = path.join(appDir, "node_modules", ".bin", "tsx");

async function example(...args: string[]): Promise<string> {
  const { stdout } = await run(tsx, ["src/main.ts", "--data-dir", dataDir, "--quiet", "--rate", "2000", ...args], { cwd: appDir, timeout: 120_000 });
  return stdout;
}

describe("the example app", () => {
  let deadAfterFirstRun = 0;
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("runs the order workflow to the end and prints a summary", async () => {
    const out = await example("--reset", "--orders", "120");
    expect(out).toContain("starting from an empty data folder");
    // The admin dashboard is served while the job runs, and its URL printed.
    expect(out).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\/#token=\S+/);
    expect(out).toContain("orders placed this run      120");
    expect(out).toMatch(/\d+ created, \d+ duplicates dropped, \d+ replaced in place/);
    expect(out).toMatch(/orders\s+0\s+0\s+0\s+120\s/);
    // The summary's msg/s is the run's average: a real rate, not 0.
    const ordersRate = Number(/orders\s+0\s+0\s+0\s+120\s+\d+\s+\d+\s+(\d+)/.exec(out)?.[1]);
    expect(ordersRate).toBeGreaterThan(0);
    // Orders 13 and 66 use a card that always declines: they end as dead letters
    // (a flaky card may also run out of retries, rarely).
    deadAfterFirstRun = Number(/dead letters\s+(\d+) in total/.exec(out)?.[1]);
    expect(deadAfterFirstRun).toBeGreaterThanOrEqual(2);
    expect(out).toContain("max-retries: card declined");
    // A result lookup and a schedule.
    expect(out).toMatch(/last order\s+completed, result \{"paymentKey":"PAY-ORD-[^"]+","amountCents":\d+\}/);
    expect(out).toMatch(/scheduled stock reports\s+\d+ handled/);
  });

  it("resumes from the data folder on the next run", async () => {
    const out = await example("--orders", "10");
    expect(out).toMatch(/resumed from disk: snapshot at LSN \d+/);
    expect(out).toContain(`${deadAfterFirstRun} dead letters kept from earlier runs`);
  });

  it("serves the admin dashboard at the printed URL while the job runs, then exits 0 by itself", async () => {
    const child = spawn(tsx, ["src/main.ts", "--data-dir", dataDir, "--quiet", "--reset", "--orders", "200", "--rate", "100"], { cwd: appDir, stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      let out = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const match = /dashboard: (http:\/\/127\.0\.0\.1:\d+)\/#token=\S+/.exec(out);
          if (match !== null) resolve(match[1]!);
        });
        void exited.then(() => reject(new Error(`exited before printing the dashboard URL:\n${out}`)));
      });
      // Placing 200 orders at 100/s takes about two seconds: the dashboard answers meanwhile.
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("@mq admin");
      const metrics = (await (await fetch(`${url}/api/metrics`)).json()) as { queues: { queue: string }[] };
      expect(metrics.queues.map((q) => q.queue)).toContain("orders");
      expect(await exited).toBe(0);
      // Without --linger the dashboard goes away with the job.
      await expect(fetch(`${url}/readyz`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill();
    }
  });
});
