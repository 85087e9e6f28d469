// @ts-check
// Type-checks every ```ts block of the root README and of each packages/*/README.md
// against the built packages (their dist/*.d.ts, through their `exports`),
// under the same strict options as our own code, the way a user's ESM project
// would compile them. A block that is deliberately partial opens with
// ```ts no-check and is skipped; keep those rare.
//
//   node tooling/scripts/check-readme-snippets.mjs
//
// Build first (pnpm build). Each block is its own module: declare what it uses.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** @typedef {{ readme: string, line: number, code: string, file: string }} Snippet */

/** README files to check: the root one and every package's. */
function readmes() {
  const list = [path.join(root, "README.md")];
  const dir = path.join(root, "packages");
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name, "README.md");
    if (existsSync(file)) list.push(file);
  }
  return list;
}

/** The ```ts / ```typescript blocks of one markdown file, with the README line of their first code line. */
export function extractSnippets(/** @type {string} */ markdown) {
  /** @type {{ line: number, code: string, skip: boolean }[]} */
  const out = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\b(.*)$/.exec(lines[i] ?? "");
    if (open === null) continue;
    const [, indent = "", fence = "```", , info = ""] = open;
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] ?? "";
      if (l.trim().startsWith(fence) && l.trim().replaceAll(fence[0] ?? "`", "") === "") break;
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l);
    }
    out.push({ line: i + 2, code: body.join("\n"), skip: /\bno-check\b/.test(info) });
    i = j;
  }
  return out;
}

/**
 * Makes `<README folder>/.cache/readme-snippets` with node_modules/@mq/* linked to
 * packages/*, so `@mq/...` imports resolve through `exports` like an install,
 * and other imports (a package's own dev dependencies, `vitest`) resolve from
 * the README's package and then the root, as they would for that package.
 */
function prepareWorkFolder(/** @type {string} */ work) {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.join(work, "node_modules", "@mq"), { recursive: true });
  writeFileSync(path.join(work, "package.json"), JSON.stringify({ name: "readme-snippets", private: true, type: "module" }));
  const dir = path.join(root, "packages");
  for (const name of readdirSync(dir)) {
    const pkgFile = path.join(dir, name, "package.json");
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
    const [, scoped] = String(pkg.name).split("/");
    if (!String(pkg.name).startsWith("@mq/") || scoped === undefined) continue;
    symlinkSync(path.join(dir, name), path.join(work, "node_modules", "@mq", scoped), "dir");
  }
}

/** @type {Snippet[]} */
const snippets = [];
let skipped = 0;
for (const readme of readmes()) {
  const rel = path.relative(root, readme);
  const work = path.join(path.dirname(readme), ".cache", "readme-snippets");
  prepareWorkFolder(work);
  extractSnippets(readFileSync(readme, "utf8")).forEach((s, n) => {
    if (s.skip) {
      skipped++;
      return;
    }
    const file = path.join(work, `block-${n + 1}.ts`);
    // The block becomes a module (top-level await allowed) without shifting its line numbers.
    writeFileSync(file, `${s.code}\nexport {};\n`);
    snippets.push({ readme: rel, line: s.line, code: s.code, file });
  });
}

/** Our own strict settings (tooling/tsconfig/base.json), with Node's ESM resolution as a user's project has. */
const options = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2023.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: ["node"],
  typeRoots: [path.join(root, "node_modules", "@types")],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  verbatimModuleSyntax: true,
  skipLibCheck: true,
  noEmit: true,
};
const program = ts.createProgram(snippets.map((s) => s.file), options);
const diagnostics = ts.getPreEmitDiagnostics(program);
let errors = 0;
for (const d of diagnostics) {
  const snippet = snippets.find((s) => d.file !== undefined && path.resolve(d.file.fileName) === s.file);
  const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
  if (snippet === undefined || d.file === undefined || d.start === undefined) {
    console.error(`[mq:readme] ${message}`);
  } else {
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    console.error(`[mq:readme] ${snippet.readme}:${snippet.line + line}: ${message}`);
  }
  errors++;
}
if (errors > 0) {
  console.error(`[mq:readme] ${errors} type error(s) in README code blocks; fix the README (or mark a deliberately partial block \`\`\`ts no-check)`);
  process.exit(1);
}
console.log(`[mq:readme] ${snippets.length} README code blocks type-check${skipped > 0 ? ` (${skipped} marked no-check)` : ""}`);
