// @ts-check
// The whole test suite: dependency rules, build, lint, typecheck, the public
// API reports, the README code blocks, every package's tests and
// published-shape checks. Always ends with the line "N passed, N failed"
// summed from every vitest report (a failed check that is not a vitest test
// counts as one failure), and exits non-zero if any step failed.
import { spawnSync } from "node:child_process";
import { rmSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", FORCE_COLOR: process.env.FORCE_COLOR ?? "0" };
const turbo = path.join(root, "node_modules", ".bin", process.platform === "win32" ? "turbo.cmd" : "turbo");

// Stale reports from an earlier run must not be counted.
for (const group of ["packages", "apps", "tooling"]) {
  const dir = path.join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) rmSync(path.join(dir, name, ".cache", "vitest-report.json"), { force: true });
}

// Two packages at a time: a package's integration files run one at a time and often wait (fsync,
// Redis, child processes), so a second package keeps the other core of the CI machine busy.
const testConcurrency = process.env.MQ_TEST_CONCURRENCY ?? "2";

/** @type {[string, string, string[]][]} */
const steps = [
  ["dependency rules", process.execPath, ["tooling/scripts/check-deps.mjs"]],
  ["build, lint, typecheck", turbo, ["run", "build", "lint", "typecheck", "--output-logs=errors-only"]],
  ["public API reports (pnpm api:update to accept a change)", process.execPath, ["tooling/api-report/api-report.mjs"]],
  ["README code blocks", process.execPath, ["tooling/scripts/check-readme-snippets.mjs"]],
  ["tests and package checks", turbo, ["run", "test", "test:package", `--concurrency=${testConcurrency}`, "--continue", "--force", "--output-logs=full"]],
];
const failedSteps = [];
for (const [name, cmd, args] of steps) {
  console.log(`\n[mq] ${name}`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: "inherit" });
  if (r.status !== 0) {
    failedSteps.push(name);
    // Without a build nothing after it means anything; the other checks report and carry on.
    if (name === "build, lint, typecheck") break;
  }
}
// Before the totals: their line must be the last one printed.
if (failedSteps.length > 0) console.error(`[mq] failed: ${failedSteps.join(", ")}`);
const checkFailures = failedSteps.filter((n) => n !== "tests and package checks").length;
const totals = spawnSync(process.execPath, ["tooling/scripts/test-totals.mjs"], { cwd: root, env: { ...env, MQ_EXTRA_FAILED: String(checkFailures) }, stdio: "inherit" });
process.exit(failedSteps.length > 0 || totals.status !== 0 ? 1 : 0);
