import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { startServer } from "./support";

// The README's jobs example, run as written (imports pointed at this package's source).
const here = path.dirname(fileURLToPath(import.meta.url));
const generated = path.join(here, "readme-jobs.generated.ts");
let s: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  rmSync(generated, { force: true });
  await s.stop();
});

it("the README's jobs example runs against a fresh server", async () => {
  const readme = readFileSync(path.join(here, "..", "README.md"), "utf8");
  const block = /<!-- jobs-example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- jobs-example:end -->/.exec(readme)?.[1];
  expect(block).toBeDefined();
  writeFileSync(generated, `${block!.replace('from "@mq/client"', 'from "../src/index"')}\nexport {};\n`);
  const logged: unknown[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void logged.push(args[0]));
  vi.stubEnv("MQ_URL", s.url);
  try {
    await import(generated);
  } finally {
    log.mockRestore();
    vi.unstubAllEnvs();
  }
  expect(logged).toEqual([{ order: 42, total: 99 }, "delayed", ["nightly-invoices"], { order: 42, total: 99 }]);
  expect(await s.host.schedules()).toEqual([]);
  expect((await s.host.stats("invoices")).delayed).toBe(0);
}, 60_000);
