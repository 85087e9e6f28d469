// @ts-check
// Sums every package's vitest JSON report and prints one line: "N passed, N failed".
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const group of ["packages", "apps"]) {
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
    failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0) - countSuitesWithFailedTests(r);
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  }
}

/** A suite that failed only because its tests failed is counted once, by its tests. */
function countSuitesWithFailedTests(/** @type {any} */ r) {
  return (r.testResults ?? []).filter((/** @type {any} */ s) => s.status === "failed" && (s.assertionResults ?? []).some((/** @type {any} */ a) => a.status === "failed")).length;
}

if (missing.length > 0) {
  console.error(`[mq] no test report from: ${missing.join(", ")}`);
  failed += missing.length;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
