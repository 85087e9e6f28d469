import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import Denque from "denque";
import { machine, opsPerSecond, report, type BenchRow } from "@mq-tooling/bench/report";
// The built package: worker threads load dist too, so both sides run the same code.
import { RingBuffer, SharedRing } from "../dist/index.js";

const RECORD_BYTES = 64;
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
// Short interleaved rounds in rotating order, so background load on a shared
// machine hits all three alike; keep each one's best round.
const best = { ring: 0, denque: 0, array: 0 };
const order = ["ring", "denque", "array"] as const;
for (let round = 0; round < 12; round++) {
  for (let k = 0; k < order.length; k++) {
    const name = order[(round + k) % order.length]!;
    best[name] = Math.max(best[name], opsPerSecond(pairs[name], 250));
  }
}
rows.push({ name: "RingBuffer push+shift", value: best.ring, unit: "pairs/s", target: "≥ denque", note: `${(best.ring / best.denque).toFixed(2)}× denque` });
rows.push({ name: "denque push+shift", value: best.denque, unit: "pairs/s" });
rows.push({ name: "Array push+shift", value: best.array, unit: "pairs/s" });

// --- SharedRing vs MessagePort.postMessage, across threads --------------------

const ring1 = await sharedRing(1);
const port1 = await ports(1);
const ring2 = await sharedRing(2);
const port2 = await ports(2);
rows.push({ name: "SharedRing 1 → 1 threads, 64 B", value: ring1, unit: "records/s", target: "≥ 5× postMessage", note: `${(ring1 / port1).toFixed(1)}× postMessage` });
rows.push({ name: "postMessage 1 → 1 threads, 64 B", value: port1, unit: "records/s" });
rows.push({ name: "SharedRing 2 → 2 threads, 64 B", value: ring2, unit: "records/s", target: "≥ 5× postMessage", note: `${(ring2 / port2).toFixed(1)}× postMessage` });
rows.push({ name: "postMessage 2 → 2 threads, 64 B", value: port2, unit: "records/s" });

report("ring", rows);
console.log(`  machine: ${JSON.stringify(machine())}`);

// ---------------------------------------------------------------------------

async function sharedRing(pairsOfThreads: number): Promise<number> {
  const shared = SharedRing.create({ slots: 1024, slotSize: RECORD_BYTES });
  const control = new SharedArrayBuffer(4);
  const workers = [
    ...Array.from({ length: pairsOfThreads }, () => start("./workers/ring-consumer.mjs", { buffer: shared.buffer })),
    ...Array.from({ length: pairsOfThreads }, () => start("./workers/ring-producer.mjs", { buffer: shared.buffer, control, count: RING_RECORDS, size: RECORD_BYTES })),
  ];
  return timeRun(workers, control, pairsOfThreads * RING_RECORDS);
}

async function ports(pairsOfThreads: number): Promise<number> {
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

async function timeRun(workers: Started[], control: SharedArrayBuffer, records: number): Promise<number> {
  await Promise.all(workers.map((w) => w.ready));
  const flag = new Int32Array(control);
  const started = performance.now();
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  await Promise.all(workers.map((w) => w.finished));
  return records / ((performance.now() - started) / 1000);
}
