// End-to-end benchmark on a private local redis-server (AOF everysec):
// a producer enqueues MESSAGES in batches while 1 or 3 consumer processes
// handle them with the dispatcher; reports msg/s and enqueue→start p50/p99.
// Usage: pnpm --filter @mq/redis bench   (MQ_BENCH_MESSAGES=20000 by default)
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createDispatcher } from "@mq/dispatcher";
import { Queue, Worker } from "bullmq";
import { redisBackend } from "../src/index";
import { RedisServer } from "../test/redis-server";

const MESSAGES = Number(process.env.MQ_BENCH_MESSAGES ?? 20_000);
const here = fileURLToPath(import.meta.url);

async function consumer(port: number, prefix: string, expected: number): Promise<void> {
  const backend = redisBackend({ connection: { host: "127.0.0.1", port }, prefix });
  await backend.open();
  const latencies: number[] = [];
  const dispatcher = createDispatcher(backend);
  dispatcher.handle<{ sentAt: number }>("bench", (p) => void latencies.push(Date.now() - p.sentAt), { maxParallelism: 64, prefetch: 128, maxRetries: 0 });
  dispatcher.start();
  process.stdout.write("ready\n");
  // Reports every 200 ms; the parent decides when all messages are done.
  const timer = setInterval(() => process.stdout.write(`${JSON.stringify({ handled: latencies.length })}\n`), 200);
  process.stdin.on("data", () => {
    clearInterval(timer);
    void dispatcher.stop().then(async () => {
      await backend.close();
      process.stdout.write(`${JSON.stringify({ done: true, latencies })}\n`);
      process.exit(0);
    });
  });
  void expected;
}

/** The same consumer on BullMQ (concurrency 64, default settings), for a side-by-side figure. */
async function bullConsumer(port: number, prefix: string): Promise<void> {
  const latencies: number[] = [];
  const worker = new Worker<{ sentAt: number }>("bench", async (job) => void latencies.push(Date.now() - job.data.sentAt), {
    connection: { host: "127.0.0.1", port, maxRetriesPerRequest: null },
    prefix,
    concurrency: 64,
    removeOnComplete: { count: 0 },
  });
  await worker.waitUntilReady();
  process.stdout.write("ready\n");
  const timer = setInterval(() => process.stdout.write(`${JSON.stringify({ handled: latencies.length })}\n`), 200);
  process.stdin.on("data", () => {
    clearInterval(timer);
    void worker.close().then(() => {
      process.stdout.write(`${JSON.stringify({ done: true, latencies })}\n`);
      process.exit(0);
    });
  });
}

type System = "mq" | "bullmq";

async function run(port: number, processes: number, messages: number, rate: number, system: System = "mq"): Promise<{ processes: number; msgPerSec: number; p50: number; p99: number }> {
  const MESSAGES = messages;
  const prefix = `${system}${processes}r${rate}`;
  const mode = system === "mq" ? "--consumer" : "--bull-consumer";
  const procs = Array.from({ length: processes }, () => spawn(process.execPath, ["--import", "tsx", here, mode, String(port), prefix], { stdio: ["pipe", "pipe", "inherit"] }));
  const handled = new Array<number>(processes).fill(0);
  const latencies: number[] = [];
  const done: Promise<void>[] = [];
  let readyCount = 0;
  const allReady = new Promise<void>((resolve) => {
    procs.forEach((p, i) => {
      let buf = "";
      done.push(new Promise((r) => p.once("exit", () => r())));
      p.stdout.setEncoding("utf8");
      p.stdout.on("data", (s: string) => {
        buf += s;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line === "ready" && ++readyCount === processes) resolve();
          else if (line.startsWith("{")) {
            const m = JSON.parse(line) as { handled?: number; latencies?: number[] };
            if (m.handled !== undefined) handled[i] = m.handled;
            if (m.latencies !== undefined) latencies.push(...m.latencies);
          }
        }
      });
    });
  });
  await allReady;
  const producer = redisBackend({ connection: { host: "127.0.0.1", port }, prefix });
  const bull = system === "bullmq" ? new Queue("bench", { connection: { host: "127.0.0.1", port }, prefix }) : undefined;
  if (bull === undefined) await producer.open();
  const start = performance.now();
  // rate 0: as fast as batches of 100 go (throughput); otherwise batches of 10 paced to `rate` msg/s (latency).
  const batch = rate === 0 ? 100 : 10;
  for (let n = 0; n < MESSAGES; n += batch) {
    if (rate > 0) {
      const due = start + (n / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const now = Date.now();
    const count = Math.min(batch, MESSAGES - n);
    if (bull !== undefined) await bull.addBulk(Array.from({ length: count }, () => ({ name: "m", data: { sentAt: now }, opts: { removeOnComplete: true } })));
    else await producer.enqueue(Array.from({ length: count }, () => ({ queue: "bench", payload: { sentAt: now } })));
  }
  while (handled.reduce((a, b) => a + b, 0) < MESSAGES) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - start) / 1000;
  for (const p of procs) p.stdin.write("stop\n");
  await Promise.all(done);
  if (bull !== undefined) await bull.close();
  else await producer.close();
  latencies.sort((a, b) => a - b);
  const pct = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { processes, msgPerSec: Math.round(MESSAGES / seconds), p50: pct(0.5), p99: pct(0.99) };
}

if (process.argv[2] === "--consumer") {
  await consumer(Number(process.argv[3]), process.argv[4]!, MESSAGES);
} else if (process.argv[2] === "--bull-consumer") {
  await bullConsumer(Number(process.argv[3]), process.argv[4]!);
} else {
  const server = await RedisServer.start({ appendfsync: "everysec" });
  try {
    const RATE = Number(process.env.MQ_BENCH_RATE ?? 500);
    const rows = [];
    const systems: System[] = process.env.MQ_BENCH_BULLMQ === "0" ? ["mq"] : ["mq", "bullmq"];
    for (const system of systems) for (const processes of [1, 3]) {
      const t = await run(server.port, processes, MESSAGES, 0, system);
      const l = await run(server.port, processes, Math.min(MESSAGES, RATE * 10), RATE, system);
      rows.push({ system, consumers: processes, "msg/s (saturated)": t.msgPerSec, [`p50 ms at ${RATE} msg/s`]: l.p50, [`p99 ms at ${RATE} msg/s`]: l.p99, "p50 ms saturated": t.p50, "p99 ms saturated": t.p99 });
    }
    console.log(`@mq/redis and BullMQ end to end on the same redis-server, ${MESSAGES} messages, redis-server 7.0 AOF everysec on loopback, node ${process.version}; enqueue→handler start`);
    console.table(rows);
  } finally {
    await server.destroy();
  }
}
