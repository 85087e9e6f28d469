import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { tempDir } from "./support";

// Runs the README's curl walkthrough, exactly as written, against a fresh `mq serve`.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "dist", "cli.js");
const dirs: { cleanup: () => void }[] = [];
afterAll(() => dirs.forEach((d) => d.cleanup()));

it("the README's curl walkthrough works as written", async () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const block = /<!-- walkthrough:start -->\s*```sh\n([\s\S]*?)```\s*<!-- walkthrough:end -->/.exec(readme)?.[1];
  expect(block).toBeDefined();
  if (spawnSync("curl", ["--version"]).status !== 0) return console.warn("curl is not installed; walkthrough skipped");
  const work = tempDir("mq-walkthrough-");
  dirs.push(work);
  // `mq` on PATH is this package's CLI, as `npx mq` would be after install.
  const bin = path.join(work.dir, "bin");
  mkdirSync(bin);
  writeFileSync(path.join(bin, "mq"), `#!/bin/sh\nexec "${process.execPath}" "${cli}" "$@"\n`);
  chmodSync(path.join(bin, "mq"), 0o755);
  const server = spawn(process.execPath, [cli, "serve", "--data", path.join(work.dir, "queue-data"), "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      server.stdout.on("data", (d: Buffer) => {
        const m = /listening on (http:\/\/\S+)/.exec(d.toString());
        if (m !== null) resolve(m[1]!);
      });
      server.once("exit", () => reject(new Error("server exited")));
    });
    const run = spawnSync("bash", ["-c", block!], { cwd: work.dir, env: { ...process.env, MQ_URL: url, PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8", timeout: 60_000 });
    if (run.status !== 0) console.error(run.stdout, run.stderr);
    expect(run.status).toBe(0);
    const out = run.stdout;
    expect(out).toContain('"status":"created"');
    expect(out).toMatch(/^204$/m);
    expect(out).toContain('"action":"retried"');
    expect(out).toContain('"copies"');
    expect(out).toContain('"acked": 1');
    expect(out).toContain('"items": []');
    expect(out).toContain('"state":"delayed"');
    expect(out).toContain('"result":{"total":99}');
    expect(out).toContain('"name": "hourly-report"');
    expect(out).toMatch(/priority[\s\S]*\n422\n?$/);
  } finally {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
  }
});
