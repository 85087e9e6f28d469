// Diagnostic: what one message costs on the enqueue → handler-start path, next to BullMQ, on one
// private redis-server (AOF as MQ_FSYNC, default "always"). Reports, per product:
//   single   awaited enqueues one at a time: latency p50/p99, node CPU and Redis CPU per call
//   paced    1 producer + CONSUMERS consumers (each its own connections, in this process) at
//            MQ_RATE msg/s: enqueue → start p50/p99, node and Redis CPU per message, and the
//            Redis commands per message (EVALSHA calls, PUBLISH, ...): a wake-up herd shows there
// CPU per message is what a loaded machine turns into latency, and it is measurable on one:
// latency figures taken on a busy machine are not. Products alternate in small chunks.
// MQ_BASE=/abs/path/index.js adds another build of @mq/redis (e.g. main's) as "base".
// Usage: pnpm --filter @mq/redis exec tsx bench/latency-path.bench.ts
import { createDispatcher } from "@mq/dispatcher";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { redisBackend } from "../src/index";
import { RedisServer } from "../test/redis-server";

const FSYNC = (process.env.MQ_FSYNC ?? "always") as "always" | "everysec";
const CALLS = Number(process.env.MQ_CALLS ?? 1000);
const RATE = Number(process.env.MQ_RATE ?? 200);
const SAMPLES = Number(process.env.MQ_SAMPLES ?? 600);
const CONSUMERS = Number(process.env.MQ_CONSUMERS ?? 3);
const ROUNDS = Number(process.env.MQ_ROUNDS ?? 3);
const CHUNK = 50;
const BODY = "x".repeat(220);

type Make = typeof redisBackend;
const products: Record<string, Make | "bullmq"> = { bullmq: "bullmq", mq: redisBackend };
if (process.env.MQ_BASE !== undefined) products.base = ((await import(process.env.MQ_BASE)) as { redisBackend: Make }).redisBackend;

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;
const median = (xs: number[]): number => pct(xs, 50);

async function redisCpuMs(client: Redis): Promise<number> {
  const info = await client.info("cpu");
  const get = (k: string): number => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (get("used_cpu_user") + get("used_cpu_sys")) * 1000;
}

async function commandCalls(client: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await client.info("commandstats")).split("\n")) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

interface Producer {
  enqueue(payload: { i: number; t: number; body: string }): Promise<unknown>;
  close(): Promise<void>;
}

async function producer(kind: Make | "bullmq", port: number, queue: string): Promise<Producer> {
  if (kind === "bullmq") {
    const q = new Queue(queue, { connection: { host: "127.0.0.1", port } });
    await q.waitUntilReady();
    return { enqueue: (p) => q.add("job", p), close: () => q.close() };
  }
  const b = kind({ connection: { host: "127.0.0.1", port }, prefix: "lp" });
  await b.open();
  return { enqueue: (p) => b.enqueue([{ queue, payload: p }]), close: () => b.close() };
}

async function consumer(kind: Make | "bullmq", port: number, queue: string, onStart: (p: { i: number; t: number }) => void): Promise<() => Promise<void>> {
  if (kind === "bullmq") {
    const w = new Worker<{ i: number; t: number }>(queue, async (job) => onStart(job.data), { connection: { host: "127.0.0.1", port } });
    await w.waitUntilReady();
    return () => w.close();
  }
  const b = kind({ connection: { host: "127.0.0.1", port }, prefix: "lp" });
  await b.open();
  const d = createDispatcher(b);
  d.handle<{ i: number; t: number }>(queue, (p) => onStart(p));
  d.start();
  return async () => {
    await d.stop();
    await b.close();
  };
}

async function main(): Promise<void> {
  const server = await RedisServer.start({ appendfsync: FSYNC });
  const admin = new Redis(server.port);
  try {
    // ---- single awaited enqueues ---------------------------------------------------------
    const single: Record<string, { lat: number[]; cpu: number; redis: number; n: number }> = {};
    const producers: Record<string, Producer> = {};
    for (const [name, kind] of Object.entries(products)) {
      producers[name] = await producer(kind, server.port, `single-${name}`);
      single[name] = { lat: [], cpu: 0, redis: 0, n: 0 };
      for (let i = 0; i < 50; i++) await producers[name].enqueue({ i, t: 0, body: BODY }); // warm: scripts loaded, JIT
    }
    for (let done = 0; done < CALLS; done += CHUNK) {
      for (const name of Object.keys(products)) {
        const s = single[name]!;
        const r0 = await redisCpuMs(admin);
        const c0 = process.cpuUsage();
        for (let k = 0; k < CHUNK; k++) {
          const t = performance.now();
          await producers[name]!.enqueue({ i: k, t, body: BODY });
          s.lat.push(performance.now() - t);
        }
        const c = process.cpuUsage(c0);
        s.cpu += c.user + c.system;
        s.redis += (await redisCpuMs(admin)) - r0;
        s.n += CHUNK;
      }
    }
    for (const p of Object.values(producers)) await p.close();
    console.log(`single awaited enqueue, appendfsync ${FSYNC}, ${CALLS} each, alternating in chunks of ${CHUNK}:`);
    for (const [name, s] of Object.entries(single)) {
      console.log(`  ${name.padEnd(7)} p50 ${pct(s.lat, 50).toFixed(3)} ms  p99 ${pct(s.lat, 99).toFixed(3)} ms  node CPU ${(s.cpu / s.n).toFixed(0)} µs/call  Redis CPU ${((s.redis * 1000) / s.n).toFixed(0)} µs/call (incl. the INFO probes)`);
    }

    // ---- paced: 1 producer, CONSUMERS consumers --------------------------------------------
    const paced: Record<string, { p50: number[]; p99: number[]; cpu: number[]; redis: number[]; cmds: Map<string, number>; n: number }> = {};
    for (let round = 0; round < ROUNDS; round++) {
      const names = Object.keys(products);
      for (const name of names.map((_, k) => names[(k + round) % names.length]!)) {
        const kind = products[name]!;
        await admin.flushall();
        const queue = `paced-${name}`;
        const warm = 50;
        const total = warm + SAMPLES;
        const starts: number[] = [];
        let started = 0;
        let finish!: () => void;
        const finished = new Promise<void>((r) => (finish = r));
        const onStart = (p: { i: number; t: number }): void => {
          if (p.i >= warm) starts.push(performance.now() - p.t);
          if (++started === total) finish();
        };
        const stops = [];
        for (let c = 0; c < CONSUMERS; c++) stops.push(await consumer(kind, server.port, queue, onStart));
        const prod = await producer(kind, server.port, queue);
        const cmd0 = await commandCalls(admin);
        const r0 = await redisCpuMs(admin);
        const c0 = process.cpuUsage();
        const begin = performance.now();
        const pending: Promise<unknown>[] = [];
        for (let i = 0; i < total; i++) {
          const wait = begin + (i * 1000) / RATE - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          pending.push(prod.enqueue({ i, t: performance.now(), body: BODY }));
        }
        await Promise.all(pending);
        await finished;
        const c = process.cpuUsage(c0);
        const redisMs = (await redisCpuMs(admin)) - r0;
        const cmd1 = await commandCalls(admin);
        await prod.close();
        for (const stop of stops) await stop();
        const p = (paced[name] ??= { p50: [], p99: [], cpu: [], redis: [], cmds: new Map(), n: 0 });
        p.p50.push(pct(starts, 50));
        p.p99.push(pct(starts, 99));
        p.cpu.push((c.user + c.system) / total);
        p.redis.push((redisMs * 1000) / total);
        for (const [k, v] of cmd1) if (k !== "info" && k !== "flushall") p.cmds.set(k, (p.cmds.get(k) ?? 0) + v - (cmd0.get(k) ?? 0));
        p.n += total;
        console.log(`  round ${round + 1} ${name.padEnd(7)} enqueue → start p50 ${pct(starts, 50).toFixed(2)} ms p99 ${pct(starts, 99).toFixed(2)} ms`);
      }
    }
    console.log(`paced ${RATE} msg/s, 1 producer + ${CONSUMERS} consumers (separate connections, this process), appendfsync ${FSYNC}; medians of ${ROUNDS} rounds:`);
    for (const [name, p] of Object.entries(paced)) {
      const cmds = [...p.cmds].filter(([, v]) => v / p.n >= 0.05).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v / p.n).toFixed(2)}`).join(", ");
      console.log(`  ${name.padEnd(7)} p50 ${median(p.p50).toFixed(2)} ms  p99 ${median(p.p99).toFixed(2)} ms  node CPU ${median(p.cpu).toFixed(0)} µs/msg  Redis CPU ${median(p.redis).toFixed(0)} µs/msg  commands/msg: ${cmds}`);
    }
  } finally {
    admin.disconnect();
    await server.destroy();
  }
}

await main();
process.exit(0);
