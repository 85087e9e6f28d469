// @ts-check
// Sums every workspace package's vitest JSON report and prints one line:
// "N passed, N failed".
//
// Environment (set by .ci/run, which runs the suite on several Node versions
// and prints one summed line at the end with sum-totals.mjs):
//   MQ_TOTALS_LABEL   print "[mq] <label>: N passed, N failed" instead, so only
//                     the final summed line has the bare form
//   MQ_TOTALS_SAVE    also write {passed, failed, skipped} as JSON to this file
//   MQ_EXTRA_FAILED   failed checks that are not vitest tests (API reports, …)
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Workspace folders whose packages may have vitest reports. */
export const REPORT_GROUPS = ["packages", "apps", "tooling"];

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const group of REPORT_GROUPS) {
  const dir = path.join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pkg = path.join(dir, name);
    if (!existsSync(path.join(pkg, "vitest.config.ts"))) continue;
    const file = path.join(pkg, ".cache", "vitest-report.json");
    if (!existsSync(file)) {
      missing.push(`${group}/${name}`);
      continue;
    }
    const r = JSON.parse(readFileSync(file, "utf8"));
    passed += r.numPassedTests ?? 0;
    failed += (r.numFailedTests ?? 0) + countFilesFailedWithoutFailedTests(r);
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  }
}

/**
 * A test file that failed without a failing test (it did not load, or a
 * beforeAll/afterAll hook threw) counts as one failure; a file whose tests
 * failed is counted by its tests. (vitest's numFailedTestSuites also counts
 * each describe block, so one broken hook would count several times.)
 */
function countFilesFailedWithoutFailedTests(/** @type {any} */ r) {
  return (r.testResults ?? []).filter((/** @type {any} */ s) => s.status === "failed" && !(s.assertionResults ?? []).some((/** @type {any} */ a) => a.status === "failed")).length;
}

if (missing.length > 0) {
  console.log(`[mq] no test report from: ${missing.join(", ")}`);
  failed += missing.length;
}
failed += Number(process.env.MQ_EXTRA_FAILED ?? 0) || 0;

const save = process.env.MQ_TOTALS_SAVE;
if (save) {
  mkdirSync(path.dirname(path.resolve(root, save)), { recursive: true });
  writeFileSync(path.resolve(root, save), JSON.stringify({ passed, failed, skipped }));
}
// Skips go on their own line: the last line is exactly "N passed, N failed".
if (skipped > 0) console.log(`[mq] ${skipped} skipped`);
const line = `${passed} passed, ${failed} failed`;
const label = process.env.MQ_TOTALS_LABEL;
console.log(label ? `[mq] ${label}: ${line}` : line);
process.exit(failed > 0 ? 1 : 0);
