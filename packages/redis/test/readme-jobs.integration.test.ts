import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RedisServer, REDIS_SERVER, SKIP_REASON } from "./redis-server";

// The README's Jobs example, run as written against a private redis-server:
// only the connection URL and the package import are swapped.
const here = path.dirname(fileURLToPath(import.meta.url));
const generated = path.join(here, "readme-jobs.generated.ts");

if (REDIS_SERVER === undefined) {
  describe("the README's jobs example", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    rmSync(generated, { force: true });
    await server?.destroy();
  });

  it("runs as written", async () => {
    const readme = readFileSync(path.join(here, "..", "README.md"), "utf8");
    const block = /<!-- redis-jobs-example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    writeFileSync(generated, block!.replace('from "@mq/redis"', 'from "../src/index"').replace("redis://127.0.0.1:6379", server.url));
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      await import(generated);
      const lines = log.mock.calls.map((c) => c[0] as unknown);
      expect(lines).toEqual([{ file: "report-2026-12-01.pdf" }, "completed", ["nightly"]]);
    } finally {
      log.mockRestore();
    }
  });
}
