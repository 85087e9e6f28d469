// @ts-check
// Adds up the totals saved by test-totals.mjs (MQ_TOTALS_SAVE) for several
// runs (.ci/run: Node 20 and 24, optionally 22) and prints the one final line
// "N passed, N failed". A run that saved nothing counts as one failure.
//
//   node tooling/scripts/sum-totals.mjs .cache/ci-totals/node20.json .cache/ci-totals/node22.json …
import { existsSync, readFileSync } from "node:fs";

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.log(`[mq] no totals in ${file}: that run did not finish`);
    failed++;
    continue;
  }
  const t = JSON.parse(readFileSync(file, "utf8"));
  passed += Number(t.passed) || 0;
  failed += Number(t.failed) || 0;
  skipped += Number(t.skipped) || 0;
}
if (skipped > 0) console.log(`[mq] ${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
