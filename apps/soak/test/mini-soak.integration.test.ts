import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { SoakResult } from "../src/result";

const run = promisify(execFile);
const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsx = path.join(appDir, "node_modules", ".bin", "tsx");
const out = mkdtempSync(path.join(tmpdir(), "mq-soak-mini-"));

describe("a 10-second mini soak", () => {
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("kills and restarts the queue process, cuts torn tails, dead-letters crash-poison, and finds the history valid", async () => {
    const args = ["src/cli.ts", "--duration", "10s", "--kill-every", "1.5s-2.5s", "--lease", "1s", "--torn-every", "1", "--crash-poison", "--crash-poison-every", "20s", "--max-attempts", "3", "--sigstop", "1", "--min-kills", "3", "--rate", "100", "--progress", "lines", "--out", out];
    // --keys-replace: see README "Known findings" (a replace-mode key re-created after its message left gets version > 1).
    const { stdout } = await run(tsx, [...args, "--keys-replace", "1000000"], { cwd: appDir, timeout: 120_000 }).catch((error: { stdout?: string; stderr?: string; code?: number }) => {
      throw new Error(`soak exited ${String(error.code)}:\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
    });
    expect(stdout).toContain("— PASS");
    expect(stdout).toMatch(/\[soak\] chaos /);
    const [dir] = readdirSync(out);
    const result = JSON.parse(readFileSync(path.join(out, dir!, "result.json"), "utf8")) as SoakResult;
    expect(result.verdict).toBe("pass");
    expect(result.kills.total).toBeGreaterThanOrEqual(3);
    expect(result.kills.sigstops).toBe(1);
    expect(result.torn.appended).toBeGreaterThanOrEqual(1);
    expect(result.torn.truncated).toBe(result.torn.appended);
    expect(result.messages.poison.enqueued).toBe(1);
    expect(result.messages.poison.deadLettered).toBe(1);
    expect(result.messages.deadLetters.poison).toBeGreaterThanOrEqual(1);
    expect(result.messages.created).toBeGreaterThan(100);
    expect(result.messages.acked).toBeGreaterThan(100);
    expect(result.checker.valid).toBe(true);
    expect(result.checker.counts.lost).toBe(0);
    expect(result.checker.totals.events).toBeGreaterThan(1_000);
    // Every life but the last (the drain that finished) ended in a kill or a SIGTERM.
    expect(result.restarts.length).toBe(result.kills.total + result.kills.sigterm + 1);
    expect(result.throughput.perSecond.length).toBeGreaterThan(5);
    const html = readFileSync(path.join(out, dir!, "report.html"), "utf8");
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(4);
    // A passing run drops its data and event logs.
    expect(readdirSync(path.join(out, dir!)).sort()).toEqual(["report.html", "result.json"]);
  });
});
