// @ts-check
// Runs pnpm on a machine that has only Node and npm: uses the pnpm on PATH if
// there is one, otherwise installs the pinned pnpm into .cache/pnpm (no root
// needed), installs the workspace, then runs the given pnpm arguments.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pinned = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).packageManager.split("@")[1];
const isWindows = process.platform === "win32";

function pnpmOnPath() {
  const r = spawnSync(isWindows ? "pnpm.cmd" : "pnpm", ["--version"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim().startsWith("9.");
}

function localPnpm() {
  const prefix = path.join(root, ".cache", "pnpm");
  const bin = path.join(prefix, "node_modules", ".bin");
  if (!existsSync(path.join(bin, isWindows ? "pnpm.cmd" : "pnpm"))) {
    console.log(`[mq] pnpm not found; installing pnpm@${pinned} into .cache/pnpm`);
    execFileSync(isWindows ? "npm.cmd" : "npm", ["install", "--no-save", "--no-package-lock", "--prefix", prefix, `pnpm@${pinned}`], {
      stdio: "inherit",
    });
  }
  return bin;
}

const env = { ...process.env };
if (!pnpmOnPath()) env.PATH = `${localPnpm()}${path.delimiter}${env.PATH ?? ""}`;

const pnpm = isWindows ? "pnpm.cmd" : "pnpm";
const run = (/** @type {string[]} */ args) => {
  const r = spawnSync(pnpm, args, { cwd: root, env, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
if (process.env.MQ_SKIP_INSTALL !== "1") {
  run(["install", "--frozen-lockfile", "--reporter=append-only"]);
}
run(process.argv.slice(2));
