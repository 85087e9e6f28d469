import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { root, workspacePackages } from "./scratch-install";

/** Every file under `dir` ending in `ext`. */
function filesUnder(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(ext))
    .map((f) => path.join(dir, f));
}

/** Top-level class declarations as esbuild writes them (`var X = class …` or `class X …`). */
function classesDeclaredIn(file: string): string[] {
  const src = readFileSync(file, "utf8");
  return [...src.matchAll(/^(?:var|let|const) (\w+) = class\b|^class (\w+)\b/gm)].map((m) => m[1] ?? m[2] ?? "");
}

// Two entries of one package (`@mq/core` and `@mq/core/testing`) that each
// carry their own copy of a class break `instanceof` between them. tsup puts
// shared code in a chunk (tooling/tsup/library.js, `splitting`); this holds it.
describe("entries of one package share their classes (built dist)", () => {
  for (const pkg of workspacePackages().values()) {
    for (const ext of [".js", ".cjs"]) {
      it(`${pkg.name}: no class is declared in two ${ext} files of dist`, () => {
        const where = new Map<string, string[]>();
        for (const file of filesUnder(path.join(pkg.dir, "dist"), ext)) {
          for (const name of classesDeclaredIn(file)) where.set(name, [...(where.get(name) ?? []), path.relative(pkg.dir, file)]);
        }
        const copies = [...where].filter(([, files]) => files.length > 1).map(([name, files]) => `${name} in ${files.join(", ")}`);
        expect(copies).toEqual([]);
      });
    }
  }

  // classifyError (in @mq/core/testing) asks MqError.isInstance: if testing
  // has the main entry's MqError, a patch to that class is seen through it.
  const probe = (load: string): string => `${load}
MqError.isInstance = (value) => typeof value === "object" && value !== null && value.probe === true;
const seen = classifyError({ probe: true, code: "MQ_LEASE_LOST" }).code;
const err = new LeaseLostError("r-1");
console.log(JSON.stringify({ seen, instance: err instanceof MqError }));
`;
  const coreDir = path.join(root, "packages", "core");

  it("@mq/core/testing uses the MqError class of @mq/core (ESM)", () => {
    const out = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", probe(`import { MqError, LeaseLostError } from "@mq/core";\nimport { classifyError } from "@mq/core/testing";`)],
      { cwd: coreDir, encoding: "utf8" },
    );
    expect(JSON.parse(out)).toEqual({ seen: "MQ_LEASE_LOST", instance: true });
  });

  // vitest cannot be require()d (its CJS entry throws), and the testing entry
  // loads it at the top; an empty stand-in is enough to load the entry here.
  const stubVitestForRequire = `const Module = require("node:module");
const vitestId = require.resolve("vitest");
const stub = new Module(vitestId);
stub.loaded = true;
require.cache[vitestId] = stub;`;

  it("@mq/core/testing uses the MqError class of @mq/core (CommonJS)", () => {
    const out = execFileSync(
      process.execPath,
      ["--input-type=commonjs", "-e", probe(`${stubVitestForRequire}\nconst { MqError, LeaseLostError } = require("@mq/core");\nconst { classifyError } = require("@mq/core/testing");`)],
      { cwd: coreDir, encoding: "utf8" },
    );
    expect(JSON.parse(out)).toEqual({ seen: "MQ_LEASE_LOST", instance: true });
  });
});
