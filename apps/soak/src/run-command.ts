import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { checkHistory, formatHistoryReport, readEventLogs } from "@mq/core/testing";
import { summarizeHistory } from "./history-summary";
import type { SoakOptions } from "./options";
import { createProgressView } from "./progress";
import { renderReport } from "./report-html";
import { buildResult, type SoakResult } from "./result";
import { summaryText } from "./summary-text";
import { InconclusiveError, runSoak } from "./supervisor";

/** Exit codes of the CLI. */
export const EXIT = { pass: 0, fail: 1, usage: 2, inconclusive: 3 } as const;

/** Runs one soak with `options`, prints the summary, writes result.json and report.html; resolves with the exit code. */
export async function runCommand(options: SoakOptions, machine: SoakResult["machine"], out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const runDir = path.resolve(options.outDir, stamp);
  mkdirSync(runDir, { recursive: true });
  const view = createProgressView(options.progress, out);
  out.write(`soak ${options.mode}: ${Math.round(options.durationMs / 1_000)} s of chaos, results in ${runDir}\n`);
  let run;
  try {
    run = await runSoak(options, runDir, (p) => view.update(p));
  } catch (error) {
    view.stop();
    if (!(error instanceof InconclusiveError)) throw error;
    out.write(`\nsoak INCONCLUSIVE: ${error.message}\n(data and logs kept in ${runDir})\n`);
    return EXIT.inconclusive;
  }
  view.stop();
  out.write("checking the history…\n");
  const events = readEventLogs(run.logFiles);
  const report = checkHistory(events, { mode: options.durability, maxRetries: options.maxAttempts - 1, dedupWindowMs: options.dropWindowMs });
  const text = formatHistoryReport(report);
  const result = buildResult(options, run, report, text, summarizeHistory(events, options.maxAttempts), machine);
  writeFileSync(path.join(runDir, "result.json"), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(runDir, "report.html"), renderReport(result));
  // A passing run's data and logs are large and prove nothing more; a failing one's are the evidence.
  if (result.verdict === "pass" && !options.keepData) {
    rmSync(path.join(runDir, "data"), { recursive: true, force: true });
    rmSync(path.join(runDir, "logs"), { recursive: true, force: true });
  }
  out.write(`${summaryText(result, runDir)}\n`);
  return result.verdict === "pass" ? EXIT.pass : result.verdict === "fail" ? EXIT.fail : EXIT.inconclusive;
}
