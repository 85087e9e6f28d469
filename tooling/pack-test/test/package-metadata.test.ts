import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";
import { root } from "./scratch-install";

// license + LICENSE, repository with its folder, homepage, bugs, keywords,
// publishConfig, and engines.node no lower than the code needs (zlib.crc32 → 20.15).
it("every published package carries the metadata npm shows and the engines its code needs", () => {
  const r = spawnSync(process.execPath, [path.join(root, "tooling", "scripts", "package-metadata.mjs")], { cwd: root, encoding: "utf8" });
  expect(r.stderr, "fix with: node tooling/scripts/package-metadata.mjs --fix (keywords by hand)").toBe("");
  expect(r.status).toBe(0);
});
