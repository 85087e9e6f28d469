// Enqueue -> handler start latency through `mq serve` (own process, file journal,
// batch durability) with @mq/client: handle() (dispatcher over HTTP + ready
// notifications) and subscribe() (WebSocket push with credit). One message every 5 ms.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { report, type BenchRow } from "@mq-tooling/bench/report";
import { createClient } from "../src/index";
import { MQ_CLI } from "../test/fixtures/processes";

const N = process.env.MQ_BENCH_QUICK === "0" ? 2_000 : 400;
const rows: BenchRow[] = [];
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const dir = mkdtempSync(path.join(tmpdir(), "mq-client-bench-"));
const server = spawn(process.execPath, [MQ_CLI, "serve", "--data", dir, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
const url = await new Promise<string>((resolve) =>
  server.stdout.on("data", (d: Buffer) => {
    const m = /listening on (http:\/\/\S+)/.exec(d.toString());
    if (m !== null) resolve(m[1]!);
  }),
);
try {
  for (const mode of ["handle", "subscribe"] as const) {
    const client = createClient({ url });
    await client.open();
    console.log(`${mode}: open`);
    const latencies: number[] = [];
    const queue = `lat-${mode}`;
    if (mode === "handle") client.handle<{ t: number }>(queue, (p) => void latencies.push(now() - p.t), { maxParallelism: 8 });
    else client.subscribe<{ t: number }>(queue, (d) => void latencies.push(now() - d.message.payload.t), { credit: 50 });
    await sleep(200);
    for (let i = 0; i < N; i++) {
      void client.enqueue(queue, { t: now() });
      await sleep(5);
    }
    const deadline = Date.now() + 30_000;
    while (latencies.length < N && Date.now() < deadline) await sleep(20);
    if (latencies.length < N) console.log(`${mode}: only ${latencies.length} of ${N} handled`);
    rows.push({ name: `enqueue -> ${mode} start p50`, value: pct(latencies, 50), unit: "ms" });
    rows.push({ name: `enqueue -> ${mode} start p99`, value: pct(latencies, 99), unit: "ms" });
    console.log(`${mode}: handled ${latencies.length}`);
    await client.close();
  }
} finally {
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
}
report("client", rows);
