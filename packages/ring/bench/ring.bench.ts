import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import Denque from "denque";
import { machine, report, type BenchRow } from "@mq-tooling/bench/report";
// The built package: worker threads load dist too, so both sides run the same code.
import { RingBuffer, SharedRing } from "../dist/index.js";

const RECORD_BYTES = 64;
// 1.2 MB of slots: lets a producer run ahead while its consumer waits for a CPU.
const SLOTS = 16_384;
const RING_RECORDS = 2_000_000; // per producer
const PORT_RECORDS = 300_000; // per producer; postMessage has no back-pressure, keep its queue in memory bounds
const DEPTH = 64; // items kept queued while measuring push+shift pairs
const PAIRS = 10_000;

const rows: BenchRow[] = [];

// --- RingBuffer vs denque vs Array, one thread --------------------------------

const items = Array.from({ length: DEPTH + PAIRS }, (_, i) => ({ i }));

const ring = new RingBuffer<{ i: number }>(1024);
for (let i = 0; i < DEPTH; i++) ring.push(items[i]!);
const denque = new Denque<{ i: number }>();
for (let i = 0; i < DEPTH; i++) denque.push(items[i]!);
const array: { i: number }[] = [];
for (let i = 0; i < DEPTH; i++) array.push(items[i]!);

const pairs = {
  ring: () => {
    for (let i = 0; i < PAIRS; i++) {
      ring.push(items[i]!);
      ring.shift();
    }
    return PAIRS;
  },
  denque: () => {
    for (let i = 0; i < PAIRS; i++) {
      denque.push(items[i]!);
      denque.shift();
    }
    return PAIRS;
  },
  array: () => {
    for (let i = 0; i < PAIRS; i++) {
      array.push(items[i]!);
      array.shift();
    }
    return PAIRS;
  },
};
// The machine is shared, so wall-clock rates mostly measure how often this
// thread was scheduled. Rates per CPU-second of this process measure the code;
// short interleaved rounds in rotating order, each one's best round kept.
const best = { ring: 0, denque: 0, array: 0 };
const order = ["ring", "denque", "array"] as const;
for (let round = 0; round < 15; round++) {
  for (let k = 0; k < order.length; k++) {
    const name = order[(round + k) % order.length]!;
    best[name] = Math.max(best[name], opsPerCpuSecond(pairs[name], 200));
  }
}
rows.push({ name: "RingBuffer push+shift", value: best.ring, unit: "pairs/CPU-s", target: "≥ denque", note: `${(best.ring / best.denque).toFixed(2)}× denque` });
rows.push({ name: "denque push+shift", value: best.denque, unit: "pairs/CPU-s" });
rows.push({ name: "Array push+shift", value: best.array, unit: "pairs/CPU-s" });

// --- SharedRing vs MessagePort.postMessage, across threads --------------------

// Cross-thread throughput is wall-clock by nature, and on a shared machine it
// depends on both threads being scheduled at once; so each run also reports
// records per CPU-second of the whole process, which measures the mechanism.
// Best of three interleaved runs for each figure.
const runs = { ring1: [] as Run[], port1: [] as Run[], ring2: [] as Run[], port2: [] as Run[] };
for (let round = 0; round < 3; round++) {
  runs.ring1.push(await sharedRing(1));
  runs.port1.push(await ports(1));
  runs.ring2.push(await sharedRing(2));
  runs.port2.push(await ports(2));
}
const wall = (list: Run[]): number => Math.max(...list.map((r) => r.perSecond));
const cpu = (list: Run[]): number => Math.max(...list.map((r) => r.perCpuSecond));
for (const threads of [1, 2] as const) {
  const ringRuns = threads === 1 ? runs.ring1 : runs.ring2;
  const portRuns = threads === 1 ? runs.port1 : runs.port2;
  const label = `${threads} → ${threads} threads, 64 B`;
  rows.push({ name: `SharedRing ${label}`, value: wall(ringRuns), unit: "records/s", target: "≥ 5× postMessage", note: `${(wall(ringRuns) / wall(portRuns)).toFixed(1)}× postMessage` });
  rows.push({ name: `postMessage ${label}`, value: wall(portRuns), unit: "records/s" });
  rows.push({ name: `SharedRing ${label}`, value: cpu(ringRuns), unit: "records/CPU-s", note: `${(cpu(ringRuns) / cpu(portRuns)).toFixed(1)}× postMessage` });
  rows.push({ name: `postMessage ${label}`, value: cpu(portRuns), unit: "records/CPU-s" });
}

report("ring", rows);
console.log(`  machine: ${JSON.stringify(machine())}`);

// ---------------------------------------------------------------------------

function opsPerCpuSecond(fn: () => number, ms: number): number {
  for (let i = 0; i < 3; i++) fn();
  let ops = 0;
  const wallEnd = performance.now() + ms;
  const start = process.cpuUsage();
  do ops += fn();
  while (performance.now() < wallEnd);
  const used = process.cpuUsage(start);
  return ops / ((used.user + used.system) / 1e6);
}

async function sharedRing(pairsOfThreads: number): Promise<Run> {
  const shared = SharedRing.create({ slots: SLOTS, slotSize: RECORD_BYTES });
  const control = new SharedArrayBuffer(4);
  const workers = [
    ...Array.from({ length: pairsOfThreads }, () => start("./workers/ring-consumer.mjs", { buffer: shared.buffer })),
    ...Array.from({ length: pairsOfThreads }, () => start("./workers/ring-producer.mjs", { buffer: shared.buffer, control, count: RING_RECORDS, size: RECORD_BYTES })),
  ];
  return timeRun(workers, control, pairsOfThreads * RING_RECORDS);
}

async function ports(pairsOfThreads: number): Promise<Run> {
  const control = new SharedArrayBuffer(4);
  const workers: Started[] = [];
  for (let i = 0; i < pairsOfThreads; i++) {
    const { port1, port2 } = new MessageChannel();
    workers.push(start("./workers/port-consumer.mjs", { port: port2, count: PORT_RECORDS }, [port2]));
    workers.push(start("./workers/port-producer.mjs", { port: port1, control, count: PORT_RECORDS, size: RECORD_BYTES }, [port1]));
  }
  return timeRun(workers, control, pairsOfThreads * PORT_RECORDS);
}

interface Started {
  worker: Worker;
  ready: Promise<void>;
  finished: Promise<unknown>;
}

function start(file: string, workerData: Record<string, unknown>, transferList: MessagePort[] = []): Started {
  const worker = new Worker(new URL(file, import.meta.url), { workerData, transferList });
  const ready = new Promise<void>((resolve) => worker.once("message", () => resolve()));
  const finished = new Promise((resolve, reject) => {
    worker.on("error", reject);
    worker.on("exit", (code) => (code === 0 ? resolve(code) : reject(new Error(`${file} exited with ${code}`))));
  });
  return { worker, ready, finished };
}

interface Run {
  perSecond: number;
  perCpuSecond: number;
}

async function timeRun(workers: Started[], control: SharedArrayBuffer, records: number): Promise<Run> {
  await Promise.all(workers.map((w) => w.ready));
  const flag = new Int32Array(control);
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  await Promise.all(workers.map((w) => w.finished));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { perSecond: records / seconds, perCpuSecond: records / ((cpu.user + cpu.system) / 1e6) };
}
