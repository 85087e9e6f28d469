// Server throughput on loopback: send (batches of 100) and receive+ack over HTTP
// and over WebSocket, with 1 and 4 client processes, against `mq serve` (file
// journal, batch durability) in its own process. 256-byte payloads.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { report, type BenchRow } from "@mq-tooling/bench/report";

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, "..", "dist", "cli.js");
const quick = process.env.MQ_BENCH_QUICK !== "0";
const N = quick ? 20_000 : 100_000;
const rows: BenchRow[] = [];

function run(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(" ")} exited ${code}`))));
  });
}

async function clients(url: string, mode: string, processes: number, total: number): Promise<number> {
  const started = performance.now();
  const outs = await Promise.all(Array.from({ length: processes }, () => run([path.join(here, "load-client.mjs")], { MQ_URL: url, MODE: mode, COUNT: String(Math.ceil(total / processes)) })));
  const results = outs.map((o) => JSON.parse(o.trim().split("\n").at(-1)!) as { count: number; ms: number });
  const count = results.reduce((a, r) => a + r.count, 0);
  const ms = mode === "ws-recv" ? Math.max(...results.map((r) => r.ms)) : performance.now() - started;
  return (count / ms) * 1_000;
}

const dir = mkdtempSync(path.join(tmpdir(), "mq-server-bench-"));
const server = spawn(process.execPath, [cli, "serve", "--data", dir, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise<string>((resolve) => server.stdout.on("data", (d: Buffer) => {
  const m = /listening on (http:\/\/\S+)/.exec(d.toString());
  if (m !== null) resolve(m[1]!);
}));
try {
  for (const processes of [1, 4]) {
    rows.push({ name: `HTTP send, batches of 100, ${processes} proc`, value: await clients(url, "send", processes, N), unit: "msg/s" });
    rows.push({ name: `HTTP receive(100)+ack, ${processes} proc`, value: await clients(url, "http-recv", processes, N), unit: "msg/s" });
    await clients(url, "send", processes, N);
    rows.push({ name: `WebSocket push+ack, credit 400, ${processes} proc`, value: await clients(url, "ws-recv", processes, N), unit: "msg/s" });
  }
} finally {
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
}
report("server", rows);
