import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { tempDir } from "./support";

// The `mq` CLI as a user runs it: serve with tokens from the environment, the
// operator commands, errors with exit code 1, and a graceful SIGINT that keeps the data.
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli.js");
const dirs: { cleanup: () => void }[] = [];
afterAll(() => dirs.forEach((d) => d.cleanup()));

function serve(dataDir: string): Promise<{ url: string; stop: (signal: NodeJS.Signals) => Promise<{ code: number | null; out: string }> }> {
  const child = spawn(process.execPath, [cli, "serve", "--data", dataDir, "--port", "0"], { env: { ...process.env, MQ_TOKENS: JSON.stringify({ ops: { admin: true } }) }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30_000);
    child.stdout.on("data", () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      resolve({ url: m[1]!, stop: async (signal) => (child.kill(signal), { code: await exited, out }) });
    });
  });
}

const mq = (url: string, ...args: string[]) => spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, MQ_URL: url, MQ_TOKEN: "ops" }, encoding: "utf8", timeout: 30_000 });

it("serves, runs the operator commands, and stops gracefully on SIGINT keeping the data", async () => {
  expect(spawnSync(process.execPath, [cli, "--help"], { encoding: "utf8" }).stdout).toContain("mq serve");
  const data = tempDir("mq-cli-");
  dirs.push(data);
  const first = await serve(data.dir);
  expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const sent = mq(first.url, "send", "jobs", '{"n":1}', "--key", "job-1", "--priority", "4");
  expect(sent.status).toBe(0);
  expect(JSON.parse(sent.stdout)).toMatchObject({ queue: "jobs", status: "created" });
  expect(mq(first.url, "send", "jobs", '{"n":2}').status).toBe(0);
  const got = mq(first.url, "receive", "jobs", "--max", "1", "--ack");
  expect(JSON.parse(got.stdout).messages[0].message.payload).toEqual({ n: 1 });
  expect(JSON.parse(mq(first.url, "stats", "jobs").stdout).totals.acked).toBe(1);
  expect(JSON.parse(mq(first.url, "stats").stdout).queue).toBe("*");
  expect(JSON.parse(mq(first.url, "dlq", "list").stdout).items).toEqual([]);
  const refused = mq(first.url, "dlq", "purge");
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain("--yes");
  expect(JSON.parse(mq(first.url, "dlq", "purge", "--yes").stdout).purged).toBe(0);
  const bad = spawnSync(process.execPath, [cli, "stats", "jobs"], { env: { ...process.env, MQ_URL: first.url, MQ_TOKEN: "wrong" }, encoding: "utf8" });
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain("HTTP 401");
  const stopped = await first.stop("SIGINT");
  expect(stopped.code).toBe(0);
  expect(stopped.out).toContain("mq: stopped");
  // The unacknowledged message survived the stop.
  const second = await serve(data.dir);
  expect(JSON.parse(mq(second.url, "receive", "jobs", "--ack").stdout).messages[0].message.payload).toEqual({ n: 2 });
  expect((await second.stop("SIGTERM")).code).toBe(0);
});

it("looks up and cancels a message, and manages schedules, from the command line", async () => {
  const data = tempDir("mq-cli-jobs-");
  dirs.push(data);
  const server = await serve(data.dir);
  try {
    const id = JSON.parse(mq(server.url, "send", "cli-jobs", '{"n":1}', "--delay", "600000").stdout).id as string;
    expect(JSON.parse(mq(server.url, "message", "cli-jobs", id).stdout)).toMatchObject({ id, state: "delayed", message: { payload: { n: 1 } } });
    expect(JSON.parse(mq(server.url, "cancel", "cli-jobs", id).stdout)).toEqual({ cancelled: id });
    const again = mq(server.url, "cancel", "cli-jobs", id);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("HTTP 404");
    expect(JSON.parse(mq(server.url, "message", "cli-jobs", id).stdout).state).toBe("unknown");
    const noResult = mq(server.url, "result", id, "--wait", "100");
    expect(noResult.status).toBe(1);
    expect(noResult.stderr).toContain("HTTP 404");
    const set = mq(server.url, "schedules", "set", "cli-nightly", '{"cron":"0 2 * * *","tz":"Europe/Berlin","queue":"cli-jobs","payload":{"report":true}}');
    expect(set.status).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ name: "cli-nightly", cron: "0 2 * * *", queue: "cli-jobs" });
    expect(JSON.parse(mq(server.url, "schedules").stdout).schedules.map((x: { name: string }) => x.name)).toEqual(["cli-nightly"]);
    const bad = mq(server.url, "schedules", "set", "cli-bad", '{"cron":"nope","queue":"cli-jobs","payload":1}');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("HTTP 422");
    expect(JSON.parse(mq(server.url, "schedules", "delete", "cli-nightly").stdout)).toEqual({ deleted: "cli-nightly" });
    expect(JSON.parse(mq(server.url, "schedules", "list").stdout)).toEqual({ schedules: [] });
  } finally {
    expect((await server.stop("SIGTERM")).code).toBe(0);
  }
});

it("refuses to serve on a non-loopback address without tokens, with a clear message", () => {
  const data = tempDir("mq-cli-open-");
  dirs.push(data);
  const r = spawnSync(process.execPath, [cli, "serve", "--data", data.dir, "--host", "0.0.0.0", "--port", "0"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, MQ_TOKENS: "" } });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain("without any token");
});

it("A4: reloads the --tokens file on SIGHUP and when it changes, without a restart", async () => {
  const data = tempDir("mq-cli-tokens-");
  dirs.push(data);
  const file = path.join(data.dir, "tokens.json");
  writeFileSync(file, JSON.stringify({ first: { admin: true } }));
  const child = spawn(process.execPath, [cli, "serve", "--data", path.join(data.dir, "q"), "--port", "0", "--tokens", file], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const until = async (check: () => boolean, what: string): Promise<void> => {
    for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
    if (!check()) throw new Error(`timed out waiting for ${what}: ${out} ${err}`);
  };
  try {
    await until(() => /listening on http/.test(out), "the listening line");
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    const status = async (token: string) => (await fetch(`${url}/v1/stats`, { headers: { authorization: `Bearer ${token}` } })).status;
    expect(await status("first")).toBe(200);
    // A change to the file is picked up by the watcher.
    writeFileSync(file, JSON.stringify({ second: { admin: true } }));
    await until(() => /tokens file changed: reloaded 1 tokens/.test(out), "the file-change reload");
    expect([await status("first"), await status("second")]).toEqual([401, 200]);
    // A broken file keeps the current tokens; SIGHUP reloads on demand.
    writeFileSync(file, "{ not json");
    await until(() => /kept the current tokens/.test(err), "the refused reload");
    expect(await status("second")).toBe(200);
    writeFileSync(file, JSON.stringify({ third: { admin: true } }));
    child.kill("SIGHUP");
    // SIGHUP always re-reads (whether or not the watcher saw the write first).
    await until(() => /SIGHUP: reloaded 1 tokens/.test(out), "the SIGHUP reload");
    expect([await status("second"), await status("third")]).toEqual([401, 200]);
  } finally {
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }
}, 60_000);
