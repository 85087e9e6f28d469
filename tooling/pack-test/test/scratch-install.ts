import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const isWindows = process.platform === "win32";

interface WorkspacePackage {
  readonly name: string;
  readonly dir: string;
  readonly dependencies: Record<string, string>;
}

/** Every package under packages/*, by name. */
export function workspacePackages(): Map<string, WorkspacePackage> {
  const out = new Map<string, WorkspacePackage>();
  const dir = path.join(root, "packages");
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name: string; dependencies?: Record<string, string> };
    out.set(pkg.name, { name: pkg.name, dir: path.join(dir, name), dependencies: pkg.dependencies ?? {} });
  }
  return out;
}

/** `names` and every workspace package they depend on at runtime: none of them is on npm yet. */
export function withWorkspaceDependencies(names: readonly string[]): string[] {
  const all = workspacePackages();
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const pkg = all.get(name);
    if (pkg === undefined) throw new Error(`${name} is not a package under packages/`);
    seen.add(name);
    for (const dep of Object.keys(pkg.dependencies)) if (all.has(dep)) visit(dep);
  };
  names.forEach(visit);
  return [...seen].sort();
}

/**
 * Environment for npm in the scratch project: without the npm_* variables
 * pnpm sets for the running script (they would configure npm as if it were
 * inside the workspace), keeping the registry, cache and proxy settings.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = /^npm_config_(registry|cache|userconfig|globalconfig|https?_proxy|proxy|noproxy|strict_ssl|cafile)$/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || keep.test(k)) env[k] = v;
  // The Node running this test (20, 22 or 24 in CI) runs npm's lifecycle scripts too.
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ""}`;
  return env;
}

export interface ScratchProject {
  readonly dir: string;
  readonly tarballs: Record<string, string>;
  /** Runs `code` with the Node running the tests, as `file` (`.mjs` or `.cjs`) in the project; returns stdout. */
  run(file: string, code: string): string;
}

/**
 * Packs `names` and their workspace dependencies with `pnpm pack` (which
 * rewrites `workspace:` ranges to versions, as `pnpm publish` does) and
 * installs every tarball with one `npm install` in a fresh folder under the OS
 * temp dir, outside the workspace. The project's `overrides` pin each @mq
 * package to its tarball, so npm never looks for an unpublished @mq package on
 * the registry.
 */
export function installPacked(names: readonly string[]): ScratchProject {
  const dir = mkdtempSync(path.join(tmpdir(), "mq-pack-test-"));
  const packDir = path.join(dir, "tarballs");
  mkdirSync(packDir);
  const all = workspacePackages();
  const tarballs: Record<string, string> = {};
  for (const name of withWorkspaceDependencies(names)) {
    const pkg = all.get(name);
    if (pkg === undefined) continue;
    const before = new Set(readdirSync(packDir));
    execFileSync(isWindows ? "pnpm.cmd" : "pnpm", ["pack", "--pack-destination", packDir], { cwd: pkg.dir, stdio: "pipe" });
    const made = readdirSync(packDir).find((f) => !before.has(f) && f.endsWith(".tgz"));
    if (made === undefined) throw new Error(`pnpm pack of ${name} made no tarball`);
    tarballs[name] = path.join(packDir, made);
  }
  const project = path.join(dir, "project");
  mkdirSync(project);
  const dependencies = Object.fromEntries(Object.entries(tarballs).map(([n, t]) => [n, `file:${t}`]));
  const overrides = Object.fromEntries(Object.keys(tarballs).map((n) => [n, `$${n}`]));
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "mq-scratch", version: "1.0.0", private: true, dependencies, overrides }, null, 2));
  try {
    // Bounded: without the CA or proxy settings of the machine npm retries for many minutes.
    execFileSync(isWindows ? "npm.cmd" : "npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--fetch-retries=1"], {
      cwd: project,
      env: npmEnv(),
      stdio: "pipe",
      timeout: 180_000,
    });
  } catch (error) {
    const e = error as { stderr?: Buffer | string; message: string };
    throw new Error(`npm install of the packed tarballs failed in ${project}: ${String(e.stderr ?? e.message).slice(-2_000)}`, { cause: error });
  }
  return {
    dir: project,
    tarballs,
    run(file, code) {
      writeFileSync(path.join(project, file), code);
      return execFileSync(process.execPath, [file], { cwd: project, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    },
  };
}

/** The `dependencies` of a packed package.json, read from its tarball with `tar`. */
export function packedManifest(tarball: string): { dependencies?: Record<string, string>; version: string } {
  const json = execFileSync("tar", ["-xOzf", tarball, "package/package.json"], { encoding: "utf8" });
  return JSON.parse(json) as { dependencies?: Record<string, string>; version: string };
}
