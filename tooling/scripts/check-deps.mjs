// @ts-check
// Fails when a package imports another @mq package that is not in its
// package.json, reaches into another package's files, or when the workspace
// dependency graph has a cycle.
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** @type {Map<string, {dir: string, deps: Set<string>}>} */
const pkgs = new Map();
for (const group of ["packages", "apps"]) {
  const dir = path.join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name, "package.json");
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, "utf8"));
    const deps = new Set(
      [json.dependencies, json.devDependencies, json.peerDependencies]
        .flatMap((d) => Object.keys(d ?? {}))
        .filter((d) => d.startsWith("@mq/") || d.startsWith("@mq-app/")),
    );
    pkgs.set(json.name, { dir: path.join(dir, name), deps });
  }
}

const problems = [];
const importRe = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)["']([^"']+)["']/g;
function walk(/** @type {string} */ dir, /** @type {(f: string) => void} */ visit) {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry === "dist" || entry.startsWith(".")) continue;
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) walk(p, visit);
    else if (/\.(ts|mts|cts|tsx)$/.test(entry)) visit(p);
  }
}
for (const [name, { dir, deps }] of pkgs) {
  walk(dir, (file) => {
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(importRe)) {
      const spec = m[1] ?? "";
      if (spec.startsWith("@mq/") || spec.startsWith("@mq-app/")) {
        const target = spec.split("/").slice(0, 2).join("/");
        if (target !== name && !deps.has(target)) problems.push(`${path.relative(root, file)} imports ${spec}, which ${name} does not depend on`);
        if (/\/src(\/|$)/.test(spec)) problems.push(`${path.relative(root, file)} reaches into ${spec}; import the package entry`);
      } else if (spec.startsWith(".")) {
        const resolved = path.resolve(path.dirname(file), spec);
        if (!resolved.startsWith(dir + path.sep)) problems.push(`${path.relative(root, file)} imports ${spec} across a package boundary`);
      }
    }
  });
}

/** @type {Map<string, number>} */
const state = new Map();
function visit(/** @type {string} */ name, /** @type {string[]} */ trail) {
  if (state.get(name) === 2) return;
  if (state.get(name) === 1) {
    problems.push(`dependency cycle: ${[...trail, name].join(" -> ")}`);
    return;
  }
  state.set(name, 1);
  for (const d of pkgs.get(name)?.deps ?? []) if (pkgs.has(d)) visit(d, [...trail, name]);
  state.set(name, 2);
}
for (const name of pkgs.keys()) visit(name, []);

if (problems.length > 0) {
  for (const p of problems) console.error(`[mq:deps] ${p}`);
  process.exit(1);
}
console.log(`[mq:deps] ${pkgs.size} packages, no cycles, no cross-package reach-ins`);
