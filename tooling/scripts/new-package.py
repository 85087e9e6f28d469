#!/usr/bin/env python3
"""Creates the skeleton of a published @mq package: python3 tooling/scripts/new-package.py NAME "description" [dep ...]"""
import json, os, sys

name, desc, *deps = sys.argv[1:]
root = os.path.join(os.path.dirname(__file__), "..", "..")
d = os.path.join(root, "packages", name)
os.makedirs(os.path.join(d, "src"), exist_ok=True)
entry = lambda base: {
    "import": {"types": f"./dist/{base}.d.ts", "default": f"./dist/{base}.js"},
    "require": {"types": f"./dist/{base}.d.cts", "default": f"./dist/{base}.cjs"},
}
pkg = {
    "name": f"@mq/{name}",
    "version": "0.0.0",
    "description": desc,
    "license": "MIT",
    "type": "module",
    "sideEffects": False,
    "main": "./dist/index.cjs",
    "module": "./dist/index.js",
    "types": "./dist/index.d.cts",
    "exports": {".": entry("index"), "./package.json": "./package.json"},
    "files": ["dist"],
    "engines": {"node": ">=20"},
    "publishConfig": {"access": "public"},
    "scripts": {
        "build": "tsup",
        "typecheck": "tsc --noEmit",
        "lint": "eslint .",
        "test": "vitest run",
        "test:package": "publint --strict && attw --pack . --profile node16",
    },
    "dependencies": {},
    "devDependencies": {
        "@mq-tooling/bench": "workspace:*",
        "@mq-tooling/tsconfig": "workspace:*",
        "@mq-tooling/tsup": "workspace:*",
        "@mq-tooling/vitest": "workspace:*",
        "@types/node": "^20.19.0",
        "fast-check": "^4.3.0",
        "tsup": "^8.5.0",
        "tsx": "^4.20.6",
        "typescript": "~5.9.3",
        "vitest": "~4.0.10",
    },
}
for dep in deps:
    if dep.startswith("@mq/"):
        pkg["dependencies"][dep] = "workspace:^"
    else:
        n, v = dep.rsplit("@", 1) if dep.count("@") > (1 if dep.startswith("@") else 0) else (dep, "*")
        pkg["dependencies"][n] = v
p = os.path.join(d, "package.json")
if not os.path.exists(p):
    json.dump(pkg, open(p, "w"), indent=2)
    open(p, "a").write("\n")
files = {
    "tsconfig.json": '{\n  "extends": "@mq-tooling/tsconfig/base.json",\n  "include": ["src", "test", "bench", "*.config.ts"]\n}\n',
    "tsup.config.ts": 'import { defineConfig } from "tsup";\nimport { libraryConfig } from "@mq-tooling/tsup/library";\n\nexport default defineConfig(libraryConfig({ index: "src/index.ts" }));\n',
    "vitest.config.ts": 'import { defineMqProject } from "@mq-tooling/vitest/project";\n\nexport default defineMqProject();\n',
}
for f, content in files.items():
    fp = os.path.join(d, f)
    if not os.path.exists(fp):
        open(fp, "w").write(content)

# License, repository, homepage, bugs, engines: derived the same way for every package.
import subprocess
subprocess.run(["node", os.path.join(root, "tooling", "scripts", "package-metadata.mjs"), "--fix"], check=False)
