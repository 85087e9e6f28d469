// @ts-check
// Runs every package's unit and integration tests (`vitest run`, through
// turbo's `test` task) on another Node major, after `npm test` has built
// everything on the main Node 20. No rebuild, lint or typecheck: the same
// dist is tested on the newer runtime. The long soak is off (MQ_SOAK=0).
//
//   node tooling/scripts/test-on-node.mjs 22
//
// The Node binary comes from the npm registry (`node-<platform>-<arch>@22`,
// a plain package holding bin/node, no install script) into .cache/node22,
// so only the registry must be reachable. Totals go to
// .cache/ci-totals/node22.json (see sum-totals.mjs) and are printed as
// "[mq] node 22: N passed, N failed".
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const major = process.argv[2];
if (major === undefined || !/^\d+$/.test(major)) {
  console.error("usage: node tooling/scripts/test-on-node.mjs <major>   e.g. 22");
  process.exit(2);
}
const isWindows = process.platform === "win32";
const prefix = path.join(root, ".cache", `node${major}`);
const binDir = isWindows ? path.join(prefix, "node_modules", `node-win-${process.arch}`, "bin") : path.join(prefix, "node_modules", ".bin");
const nodeBin = path.join(binDir, isWindows ? "node.exe" : "node");
const label = `node ${major}`;
const totalsFile = path.join(".cache", "ci-totals", `node${major}.json`);
rmSync(path.join(root, totalsFile), { force: true });

/** The installed binary's version, or undefined when it is missing or broken. */
function versionOf(/** @type {string} */ bin) {
  if (!existsSync(bin)) return undefined;
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

let version = versionOf(nodeBin);
if (version === undefined || !version.startsWith(`v${major}.`)) {
  const pkg = `node-${isWindows ? "win" : process.platform}-${process.arch}@${major}`;
  console.log(`[mq] ${label}: installing ${pkg} from the npm registry into .cache/node${major}`);
  rmSync(prefix, { recursive: true, force: true });
  const r = spawnSync(isWindows ? "npm.cmd" : "npm", ["install", "--prefix", prefix, "--no-save", "--no-package-lock", "--ignore-scripts", "--no-audit", "--no-fund", pkg], {
    cwd: root,
    stdio: "inherit",
  });
  version = r.status === 0 ? versionOf(nodeBin) : undefined;
  if (version === undefined) {
    console.error(`[mq] ${label}: could not install ${pkg}; its tests are counted as one failure`);
    process.exit(1);
  }
}

// Reports from the Node 20 run were already counted; a missing report must not be mistaken for this run's.
for (const group of ["packages", "apps", "tooling"]) {
  const dir = path.join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) rmSync(path.join(dir, name, ".cache", "vitest-report.json"), { force: true });
}

console.log(`\n[mq] ${label} (${version}): unit and integration tests`);
// The pnpm that with-pnpm.mjs installs when none is on PATH (turbo runs each task through pnpm).
const localPnpm = path.join(root, ".cache", "pnpm", "node_modules", ".bin");
const env = {
  ...process.env,
  // First on PATH, so `#!/usr/bin/env node` in pnpm, turbo's scripts and vitest resolve to it.
  PATH: [binDir, process.env.PATH ?? "", ...(existsSync(localPnpm) ? [localPnpm] : [])].join(path.delimiter),
  MQ_SOAK: "0",
  // Fewer kill cycles in the crash tests: the full counts ran on Node 20; here they check the runtime.
  MQ_QUICK: "1",
  TURBO_TELEMETRY_DISABLED: "1",
  DO_NOT_TRACK: "1",
  FORCE_COLOR: process.env.FORCE_COLOR ?? "0",
};
const turbo = path.join(root, "node_modules", ".bin", isWindows ? "turbo.cmd" : "turbo");
// --only: run the test tasks alone; dist was built (and checked) by the Node 20 run.
// Two packages at a time: most of these tests wait on fsync, child processes and
// redis-server rather than the CPU, and CI runs two Node versions after the main one.
const concurrency = process.env.MQ_EXTRA_CONCURRENCY ?? "2";
const run = spawnSync(turbo, ["run", "test", "--only", `--concurrency=${concurrency}`, "--continue", "--force", "--output-logs=full"], {
  cwd: root,
  env,
  stdio: "inherit",
});
const totals = spawnSync(process.execPath, [path.join(root, "tooling", "scripts", "test-totals.mjs")], {
  cwd: root,
  env: { ...process.env, MQ_TOTALS_LABEL: label, MQ_TOTALS_SAVE: totalsFile },
  stdio: "inherit",
});
process.exit(run.status !== 0 || totals.status !== 0 ? 1 : 0);
