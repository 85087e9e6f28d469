import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const generated = path.join(here, "readme-example.generated.ts");
afterAll(() => rmSync(generated, { force: true }));

describe("the README's jobs example", () => {
  it("runs as written", async () => {
    const readme = readFileSync(path.join(here, "..", "..", "README.md"), "utf8");
    const block = /<!-- jobs-example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    // The only change: import the package from its source.
    writeFileSync(generated, block!.replace('from "@mq/host"', 'from "../../src/index"'));
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      await import(generated);
      const lines = log.mock.calls.map((c) => c[0] as unknown);
      expect(lines[0]).toEqual({ thumbnail: "https://example.com/a.png?w=200" });
      expect(lines[1]).toBe("completed");
      expect(lines[2]).toEqual([expect.stringMatching(/^heartbeat next at /), expect.stringMatching(/^nightly-report next at /)]);
    } finally {
      log.mockRestore();
    }
  });
});
