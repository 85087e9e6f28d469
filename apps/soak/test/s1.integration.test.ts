import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const enabled = process.env.MQ_SOAK === "1";
if (!enabled) console.warn("[soak] row S1 (90 s) skipped: set MQ_SOAK=1 to run it");

describe.skipIf(!enabled)("row S1: the short soak", () => {
  it("passes with every violation count 0", { timeout: 600_000 }, async () => {
    const { stdout } = await run(path.join(appDir, "node_modules", ".bin", "tsx"), ["src/cli.ts", "--mode", "short", "--progress", "lines"], { cwd: appDir, timeout: 600_000 }).catch((error: { stdout?: string; code?: number }) => {
      throw new Error(`soak --mode short exited ${String(error.code)}:\n${error.stdout ?? ""}`);
    });
    expect(stdout).toContain("soak short — PASS");
  });
});
