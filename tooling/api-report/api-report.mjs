// @ts-check
// One API report per published entry point (`@mq/core`, `@mq/core/testing`,
// `@mq/journal/memory`, …), made by API Extractor from the built
// `dist/*.d.ts` and kept in `packages/<name>/etc/<entry>.api.md`.
//
//   node tooling/api-report/api-report.mjs            check: fail when a report is out of date
//   node tooling/api-report/api-report.mjs --update   rewrite the reports (`pnpm api:update`)
//
// Packages and entries are discovered from `packages/*/package.json`
// (`exports`), so a new package gets its report without touching this file.
// Build first: the reports describe what is published, which is `dist`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Extractor, ExtractorConfig } from "@microsoft/api-extractor";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const update = process.argv.includes("--update");
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));

/**
 * @typedef {{ pkgName: string, pkgDir: string, subpath: string, dts: string, report: string }} Entry
 */

/** Every entry point of every published package, with the .d.ts that types it. */
export function publishedEntries() {
  /** @type {Entry[]} */
  const entries = [];
  const dir = path.join(root, "packages");
  for (const name of readdirSync(dir).sort()) {
    const pkgDir = path.join(dir, name);
    const file = path.join(pkgDir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8"));
    if (pkg.private === true) continue;
    const exportsMap = typeof pkg.exports === "object" && pkg.exports !== null ? pkg.exports : { ".": { types: pkg.types } };
    for (const [subpath, target] of Object.entries(exportsMap)) {
      if (subpath === "./package.json") continue;
      const dts = typesOf(target);
      if (dts === undefined) continue;
      const entryName = subpath === "." ? "index" : subpath.slice(2).replaceAll("/", "-");
      entries.push({ pkgName: pkg.name, pkgDir, subpath, dts: path.join(pkgDir, dts), report: entryName });
    }
  }
  return entries;
}

/** The ESM `types` of an exports target (ESM and CJS declarations are the same text). */
function typesOf(/** @type {unknown} */ target) {
  if (typeof target !== "object" || target === null) return undefined;
  const t = /** @type {Record<string, unknown>} */ (target);
  if (typeof t.types === "string") return t.types;
  for (const key of ["import", "default", "require"]) {
    const inner = typesOf(t[key]);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** Runs API Extractor on one entry; true when the committed report matches (or was rewritten). */
function runEntry(/** @type {Entry} */ e) {
  const label = e.subpath === "." ? e.pkgName : `${e.pkgName}/${e.subpath.slice(2)}`;
  const relReport = path.relative(root, path.join(e.pkgDir, "etc", `${e.report}.api.md`));
  if (!existsSync(e.dts)) {
    console.error(`[mq:api] ${label}: ${path.relative(root, e.dts)} is missing; build first (pnpm build)`);
    return false;
  }
  mkdirSync(path.join(e.pkgDir, "etc"), { recursive: true });
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: e.pkgDir,
      mainEntryPointFilePath: e.dts,
      bundledPackages: [],
      compiler: {
        overrideTsconfig: {
          compilerOptions: { target: "ES2022", lib: ["ES2023"], module: "NodeNext", moduleResolution: "NodeNext", types: ["node"], strict: true, skipLibCheck: true },
          files: [e.dts],
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: e.report,
        reportFolder: path.join(e.pkgDir, "etc"),
        reportTempFolder: path.join(e.pkgDir, ".cache", "api-report"),
        includeForgottenExports: true,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: "lf",
      messages: {
        compilerMessageReporting: { default: { logLevel: "warning" } },
        extractorMessageReporting: {
          // Messages carry dist line numbers and hashed chunk names that move with any
          // change; only the one about the API's shape goes into the report.
          default: { logLevel: "none", addToApiReportFile: false },
          // A type the API uses but the entry does not export: its shape is in the report too.
          "ae-forgotten-export": { logLevel: "none", addToApiReportFile: true },
        },
        // Our JSDoc is written for editors, not for TSDoc's stricter grammar.
        tsdocMessageReporting: { default: { logLevel: "none", addToApiReportFile: false } },
      },
    },
    configObjectFullPath: path.join(e.pkgDir, "api-extractor.json"),
    packageJsonFullPath: path.join(e.pkgDir, "package.json"),
  });
  const result = Extractor.invoke(config, {
    localBuild: update,
    showVerboseMessages: false,
    messageCallback: (m) => {
      // API Extractor's console chatter ("You have changed the public API…") is replaced by ours below.
      if (m.category === "console") m.logLevel = /** @type {any} */ ("none");
    },
  });
  if (!result.succeeded && !result.apiReportChanged) {
    console.error(`[mq:api] ${label}: API Extractor failed (${result.errorCount} errors)`);
    return false;
  }
  if (result.apiReportChanged) {
    if (!update && !existsSync(path.join(root, relReport))) {
      console.error(`[mq:api] ${label}: no API report yet; run \`pnpm api:update\` and commit ${relReport}.`);
      return false;
    }
    if (update) {
      console.log(`[mq:api] ${label}: updated ${relReport}`);
      rewritten++;
      return true;
    }
    const temp = path.relative(root, path.join(e.pkgDir, ".cache", "api-report", `${e.report}.api.md`));
    console.error(`[mq:api] ${label}: the public API differs from ${relReport}:`);
    const diff = spawnSync("diff", ["-u", relReport, temp], { cwd: root, encoding: "utf8" });
    const lines = (diff.stdout ?? "").split("\n");
    if (lines.length > 1) console.error(lines.slice(0, 80).join("\n") + (lines.length > 80 ? `\n… (${lines.length - 80} more lines)` : ""));
    else console.error(`         See the difference: diff ${relReport} ${temp}`);
    console.error(`         If the change is intended, run \`pnpm api:update\` and commit ${relReport}.`);
    return false;
  }
  return true;
}

const entries = publishedEntries().filter((e) => only.length === 0 || only.some((o) => e.pkgName === o || e.pkgName.endsWith(`/${o}`)));
let bad = 0;
let rewritten = 0;
for (const e of entries) if (!runEntry(e)) bad++;
if (bad > 0) {
  console.error(`[mq:api] ${bad} of ${entries.length} API reports out of date or failing`);
  process.exit(1);
}
console.log(`[mq:api] ${entries.length} API reports match the built packages${update ? ` (${rewritten} rewritten)` : ""}`);
