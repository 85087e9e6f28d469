import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { call, tempDir } from "./support";

// `mq serve` configured from the environment alone, its graceful stop (stop accepting,
// answer waiting long polls, final snapshot), help and refusals, and `mq dlq replay`.
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli.js");
const dirs: { cleanup: () => void }[] = [];
const children: ReturnType<typeof spawn>[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  dirs.forEach((d) => d.cleanup());
});

function serveFromEnv(env: Record<string, string>): Promise<{ url: string; out: () => string; exited: Promise<number | null>; child: ReturnType<typeof spawn> }> {
  const child = spawn(process.execPath, [cli, "serve"], { env: { ...process.env, MQ_TOKENS: "", MQ_TOKENS_FILE: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30_000);
    child.stdout.on("data", () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      resolve({ url: m[1]!, out: () => out, exited, child });
    });
  });
}

const mq = (url: string, ...args: string[]) => spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, MQ_URL: url, MQ_TOKEN: "" }, encoding: "utf8", timeout: 30_000 });

it("takes its configuration from MQ_DATA_DIR, MQ_PORT, MQ_HOST and MQ_DURABILITY when no flag is given", async () => {
  const work = tempDir("mq-cli-env-");
  dirs.push(work);
  const dataDir = path.join(work.dir, "from-env");
  const server = await serveFromEnv({ MQ_DATA_DIR: dataDir, MQ_PORT: "0", MQ_HOST: "127.0.0.1", MQ_DURABILITY: "always" });
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(server.out()).toContain(`data ${dataDir}`);
  expect((await call(server.url, "POST", "/v1/queues/env-q/messages", { payload: 1 })).status).toBe(201);
  expect(existsSync(path.join(dataDir, "journal"))).toBe(true);
  server.child.kill("SIGTERM");
  expect(await server.exited).toBe(0);
  // A bad value from the environment is refused with a message, like a bad flag.
  const bad = spawnSync(process.execPath, [cli, "serve"], { env: { ...process.env, MQ_TOKENS: "", MQ_DATA_DIR: dataDir, MQ_PORT: "70000" }, encoding: "utf8", timeout: 30_000 });
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain("port");
});

it("on SIGTERM answers waiting long polls, stops accepting, writes a final snapshot and exits 0", async () => {
  const work = tempDir("mq-cli-stop-");
  dirs.push(work);
  const dataDir = path.join(work.dir, "data");
  const server = await serveFromEnv({ MQ_DATA_DIR: dataDir, MQ_PORT: "0" });
  expect((await call(server.url, "POST", "/v1/queues/stop-q/messages", { messages: [{ payload: 1 }, { payload: 2 }] })).status).toBe(201);
  const snapshotsBefore = readdirSync(path.join(dataDir, "snapshots"));
  const waiting = call(server.url, "POST", "/v1/queues/stop-empty/receive", { waitMs: 15_000 });
  await new Promise((r) => setTimeout(r, 300));
  const signalledAt = Date.now();
  server.child.kill("SIGTERM");
  const answered = await waiting;
  expect(answered.status).toBe(503);
  expect(answered.headers.get("retry-after")).toBe("1");
  // Answered at once, not after the 15 s wait.
  expect(Date.now() - signalledAt).toBeLessThan(10_000);
  expect(await server.exited).toBe(0);
  expect(server.out()).toContain("draining and writing a final snapshot");
  const snapshotsAfter = readdirSync(path.join(dataDir, "snapshots")).filter((f) => f.endsWith(".snap"));
  expect(snapshotsAfter.filter((f) => !snapshotsBefore.includes(f)).length).toBeGreaterThan(0);
  await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  // The next start recovers from that snapshot: both messages are there.
  const again = await serveFromEnv({ MQ_DATA_DIR: dataDir, MQ_PORT: "0" });
  expect((await call(again.url, "GET", "/v1/queues/stop-q/stats")).body.ready).toBe(2);
  again.child.kill("SIGINT");
  expect(await again.exited).toBe(0);
});

it("--help works for mq and mq serve; no command or an unknown one is exit 1", () => {
  for (const args of [["--help"], ["serve", "--help"], ["help"]]) {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
    expect(r.status, args.join(" ")).toBe(0);
    expect(r.stdout).toContain("mq serve [--data DIR]");
    expect(r.stdout).toContain("MQ_DATA_DIR");
  }
  expect(spawnSync(process.execPath, [cli], { encoding: "utf8" }).status).toBe(1);
  const unknown = spawnSync(process.execPath, [cli, "frobnicate"], { encoding: "utf8" });
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toContain("mq --help");
  const badFlag = spawnSync(process.execPath, [cli, "serve", "--nope"], { encoding: "utf8" });
  expect(badFlag.status).toBe(1);
});

it("PP1: refuses a --data that is a file, and a data folder another server holds (naming its pid)", async () => {
  const work = tempDir("mq-cli-pp1-");
  dirs.push(work);
  const file = path.join(work.dir, "a-file");
  writeFileSync(file, "not a folder");
  const onFile = spawnSync(process.execPath, [cli, "serve", "--data", file, "--port", "0"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, MQ_TOKENS: "" } });
  expect(onFile.status).toBe(1);
  expect(onFile.stderr).toMatch(/^mq: /);
  const dataDir = path.join(work.dir, "held");
  const first = await serveFromEnv({ MQ_DATA_DIR: dataDir, MQ_PORT: "0" });
  const second = spawnSync(process.execPath, [cli, "serve", "--data", dataDir, "--port", "0"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, MQ_TOKENS: "" } });
  expect(second.status).toBe(1);
  expect(second.stderr).toContain(`pid ${first.child.pid}`);
  first.child.kill("SIGTERM");
  expect(await first.exited).toBe(0);
});

it("mq dlq list and replay (one id, or a whole queue) against a running server", async () => {
  const work = tempDir("mq-cli-dlq-");
  dirs.push(work);
  const server = await serveFromEnv({ MQ_DATA_DIR: path.join(work.dir, "data"), MQ_PORT: "0" });
  try {
    const sent = await call(server.url, "POST", "/v1/queues/cli-dlq/messages", { messages: [{ payload: 1 }, { payload: 2 }, { payload: 3 }] });
    const ids = (sent.body.results as { id: string }[]).map((r) => r.id);
    const got = (await call(server.url, "POST", "/v1/queues/cli-dlq/receive", { max: 3 })).body.messages as { receipt: string }[];
    for (const d of got) expect((await call(server.url, "POST", "/v1/nack", { receipt: d.receipt, deadLetter: true, reason: { name: "Error", message: "bad" } })).status).toBe(200);
    const listed = mq(server.url, "dlq", "list", "--queue", "cli-dlq", "--limit", "10");
    expect(listed.status).toBe(0);
    expect((JSON.parse(listed.stdout).items as { message: { id: string } }[]).map((i) => i.message.id).sort()).toEqual([...ids].sort());
    const one = mq(server.url, "dlq", "replay", ids[0]!);
    expect(one.status).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ replayed: 1 });
    expect(mq(server.url, "dlq", "replay").status).toBe(1);
    const rest = mq(server.url, "dlq", "replay", "--queue", "cli-dlq");
    expect(rest.status).toBe(0);
    expect(JSON.parse(rest.stdout)).toMatchObject({ replayed: 2 });
    expect((await call(server.url, "GET", "/v1/queues/cli-dlq/stats")).body.ready).toBe(3);
    expect(JSON.parse(mq(server.url, "dlq", "list", "--queue", "cli-dlq").stdout).items).toEqual([]);
  } finally {
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  }
});
