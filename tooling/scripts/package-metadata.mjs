// @ts-check
// What every published package (packages/*, not private) must carry to be
// published: MIT license with a LICENSE file, repository (with its folder),
// homepage, bugs, keywords, and an `engines.node` no lower than what its code
// (and the @mq packages it depends on) needs.
//
//   node tooling/scripts/package-metadata.mjs          list problems (exit 1 if any)
//   node tooling/scripts/package-metadata.mjs --fix    fill in what can be derived, then list the rest
//
// tooling/pack-test runs the check as a test.
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** No public repository exists yet: this placeholder is used consistently (see README, "Publishing"). */
export const REPOSITORY = "https://github.com/mq-js/mq";

/** Node APIs newer than 20.0 that a package's source calls unguarded (a feature-detected read does not count), with the first 20.x that has them. */
const NODE_API_FLOORS = [
  { api: "zlib.crc32", floor: [20, 15, 0], uses: (/** @type {string} */ text) => /\bzlib\.crc32\s*\(/.test(text) || /import\s*\{[^}]*\bcrc32\b[^}]*\}\s*from\s*["'](node:)?zlib["']/.test(text) },
];
const BASE_FLOOR = [20, 0, 0];

/** @typedef {{ dir: string, folder: string, file: string, json: any }} Pkg */

/** @returns {Pkg[]} */
function publishedPackages() {
  const dir = path.join(root, "packages");
  /** @type {Pkg[]} */
  const out = [];
  for (const folder of readdirSync(dir).sort()) {
    const file = path.join(dir, folder, "package.json");
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, "utf8"));
    if (json.private !== true) out.push({ dir: path.join(dir, folder), folder, file, json });
  }
  return out;
}

/** All .ts files under src, tests excluded. */
function sourceFiles(/** @type {string} */ dir) {
  const src = path.join(dir, "src");
  if (!existsSync(src)) return [];
  return readdirSync(src, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !/\.test\.ts$/.test(f))
    .map((f) => path.join(src, f));
}

/** @param {number[]} a @param {number[]} b */
const higher = (a, b) => ((a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0) || (a[2] ?? 0) - (b[2] ?? 0)) >= 0 ? a : b;

/** The lowest Node each package can run on: its own API use, raised by its @mq dependencies'. */
function nodeFloors(/** @type {Pkg[]} */ pkgs) {
  /** @type {Map<string, { floor: number[], why: string }>} */
  const own = new Map();
  for (const p of pkgs) {
    let floor = BASE_FLOOR;
    let why = "";
    for (const file of sourceFiles(p.dir)) {
      const text = readFileSync(file, "utf8");
      for (const rule of NODE_API_FLOORS) {
        if (rule.uses(text) && higher(rule.floor, floor) === rule.floor && rule.floor !== floor) {
          floor = rule.floor;
          why = `${rule.api} in ${path.relative(root, file)}`;
        }
      }
    }
    own.set(p.json.name, { floor, why });
  }
  const byName = new Map(pkgs.map((p) => [p.json.name, p]));
  /** @type {Map<string, { floor: number[], why: string }>} */
  const total = new Map();
  const visit = (/** @type {string} */ name, /** @type {Set<string>} */ stack) => {
    const done = total.get(name);
    if (done !== undefined) return done;
    let best = own.get(name) ?? { floor: BASE_FLOOR, why: "" };
    const p = byName.get(name);
    for (const dep of Object.keys(p?.json.dependencies ?? {})) {
      if (!byName.has(dep) || stack.has(dep)) continue;
      const d = visit(dep, new Set([...stack, dep]));
      if (higher(d.floor, best.floor) === d.floor && d.floor !== best.floor) best = { floor: d.floor, why: `${dep} needs it (${d.why})` };
    }
    total.set(name, best);
    return best;
  };
  for (const p of pkgs) visit(p.json.name, new Set([p.json.name]));
  return total;
}

/** The minimum version in an `engines.node` range such as ">=20.15.0" or ">=20". */
function minimumOf(/** @type {unknown} */ range) {
  const m = /^\s*>=\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(String(range ?? ""));
  return m === null ? undefined : [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/**
 * Problems with the published packages' metadata; with `fix`, first fills in
 * what can be derived (repository, homepage, bugs, license, LICENSE file, engines).
 * @returns {string[]}
 */
export function checkPackageMetadata(fix = false) {
  const pkgs = publishedPackages();
  const floors = nodeFloors(pkgs);
  const problems = [];
  for (const p of pkgs) {
    const j = p.json;
    const name = j.name;
    const want = {
      repository: { type: "git", url: `git+${REPOSITORY}.git`, directory: `packages/${p.folder}` },
      homepage: `${REPOSITORY}/tree/main/packages/${p.folder}#readme`,
      bugs: { url: `${REPOSITORY}/issues` },
    };
    const need = floors.get(name) ?? { floor: BASE_FLOOR, why: "" };
    const needRange = `>=${need.floor.join(".")}`;
    if (fix) {
      j.license = "MIT";
      Object.assign(j, { repository: want.repository, homepage: want.homepage, bugs: want.bugs });
      if (!Array.isArray(j.keywords) || j.keywords.length === 0) j.keywords = ["mq", "message-queue"];
      const have = minimumOf(j.engines?.node);
      if (have === undefined || higher(have, need.floor) !== have) j.engines = { ...j.engines, node: needRange };
      writeFileSync(p.file, `${JSON.stringify(j, null, 2)}\n`);
      if (!existsSync(path.join(p.dir, "LICENSE"))) copyFileSync(path.join(root, "LICENSE"), path.join(p.dir, "LICENSE"));
    }
    if (j.license !== "MIT") problems.push(`${name}: license must be "MIT"`);
    if (!existsSync(path.join(p.dir, "LICENSE"))) problems.push(`${name}: no LICENSE file (copy the root LICENSE; npm packs it whatever "files" says)`);
    if (JSON.stringify(j.repository) !== JSON.stringify(want.repository)) problems.push(`${name}: repository must be ${JSON.stringify(want.repository)}`);
    if (j.homepage !== want.homepage) problems.push(`${name}: homepage must be ${want.homepage}`);
    if (JSON.stringify(j.bugs) !== JSON.stringify(want.bugs)) problems.push(`${name}: bugs must be ${JSON.stringify(want.bugs)}`);
    if (!Array.isArray(j.keywords) || j.keywords.length === 0) problems.push(`${name}: keywords missing`);
    const have = minimumOf(j.engines?.node);
    if (have === undefined) problems.push(`${name}: engines.node must be a ">=x.y.z" range`);
    else if (higher(have, need.floor) !== have) problems.push(`${name}: engines.node is ${j.engines.node} but the code needs ${needRange} (${need.why})`);
    if (j.publishConfig?.access !== "public") problems.push(`${name}: publishConfig.access must be "public"`);
  }
  return problems;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = checkPackageMetadata(process.argv.includes("--fix"));
  for (const p of problems) console.error(`[mq:metadata] ${p}`);
  if (problems.length > 0) process.exit(1);
  console.log("[mq:metadata] every published package is publishable");
}
