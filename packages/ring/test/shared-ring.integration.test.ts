import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { beforeAll, describe, expect, it } from "vitest";
// Workers load the built package, so the test exercises what gets published.
import { SharedRing } from "../dist/index.js";
import { decode, encode, recordLength } from "./workers/record.mjs";

interface ProducerResult {
  foundFull: number;
}
interface ConsumerResult {
  received: number;
  damaged: number;
  outOfOrder: number;
  gaps: number;
}

const MAX_LENGTH = 64;
const distUrl = new URL("../dist/index.js", import.meta.url);
const producerUrl = new URL("./workers/producer.mjs", import.meta.url);
const consumerUrl = new URL("./workers/consumer.mjs", import.meta.url);

beforeAll(() => {
  if (!existsSync(distUrl)) throw new Error("dist/index.js is missing: run `pnpm build` before the integration tests");
});

describe("SharedRing across worker threads", () => {
  it("4 producers and 4 consumers move 1,000,000 records, each read exactly once and intact", async () => {
    const producers = 4;
    const perProducer = 250_000;
    const { ring, seen, producerResults, consumerResults } = await run({ producers, consumers: 4, perProducer, slots: 1024 });

    expect(sum(consumerResults, "damaged")).toBe(0);
    expect(sum(consumerResults, "received")).toBe(producers * perProducer);
    // A linearizable FIFO: one consumer sees each producer's records in the order written.
    expect(sum(consumerResults, "outOfOrder")).toBe(0);
    const notOnce = countWhere(seen, (n) => n !== 1);
    expect(notOnce).toBe(0);
    expect(ring.size).toBe(0);
    expect(ring.tryRead()).toBeUndefined();
    expect(producerResults).toHaveLength(producers);
  });

  it("with 2 slots, 4 producers and 4 consumers sleep and wake constantly and lose nothing", async () => {
    const producers = 4;
    const perProducer = 15_000;
    const { seen, producerResults, consumerResults } = await run({ producers, consumers: 4, perProducer, slots: 2 });
    expect(sum(consumerResults, "damaged")).toBe(0);
    expect(sum(consumerResults, "received")).toBe(producers * perProducer);
    expect(sum(consumerResults, "outOfOrder")).toBe(0);
    expect(countWhere(seen, (n) => n !== 1)).toBe(0);
    expect(producerResults.reduce((total, r) => total + r.foundFull, 0)).toBeGreaterThan(0);
  });

  it("1 producer and 1 consumer preserve FIFO order exactly", async () => {
    const { seen, consumerResults } = await run({ producers: 1, consumers: 1, perProducer: 100_000, slots: 64 });
    expect(consumerResults[0]).toEqual({ received: 100_000, damaged: 0, outOfOrder: 0, gaps: 0 });
    expect(countWhere(seen, (n) => n !== 1)).toBe(0);
  });

  it("a slow consumer makes the producer wait: nothing lost, nothing overwritten", async () => {
    let maxSize = 0;
    const { seen, producerResults, consumerResults } = await run({
      producers: 1,
      consumers: 1,
      perProducer: 300,
      slots: 4,
      delayMs: 1,
      onStart: (ring) => {
        const timer = setInterval(() => (maxSize = Math.max(maxSize, ring.size)), 1);
        return () => clearInterval(timer);
      },
    });
    expect(producerResults[0]!.foundFull).toBeGreaterThan(100);
    expect(consumerResults[0]).toEqual({ received: 300, damaged: 0, outOfOrder: 0, gaps: 0 });
    expect(countWhere(seen, (n) => n !== 1)).toBe(0);
    expect(maxSize).toBeLessThanOrEqual(4);
    expect(maxSize).toBeGreaterThan(0);
  });

  it("the main thread awaits records from a worker without blocking its event loop", async () => {
    const perProducer = 20_000;
    const ring = SharedRing.create({ slots: 16, slotSize: MAX_LENGTH });
    const producer = runWorker<ProducerResult>(producerUrl, { buffer: ring.buffer, producer: 0, count: perProducer, maxLength: MAX_LENGTH });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    let next = 0;
    let damaged = 0;
    try {
      while (next < perProducer) {
        const decoded = decode(await ring.read({ timeoutMs: 30_000 }), MAX_LENGTH);
        if (decoded?.seq === next) next++;
        else damaged++;
      }
    } finally {
      clearInterval(ticker);
    }
    await producer;
    expect(damaged).toBe(0);
    expect(next).toBe(perProducer);
    expect(ticks).toBeGreaterThan(0);
  });

  it("the main thread awaits free slots while a worker consumes", async () => {
    const perProducer = 20_000;
    const ring = SharedRing.create({ slots: 8, slotSize: MAX_LENGTH });
    const seenBuffer = new SharedArrayBuffer(perProducer);
    const consumer = runWorker<ConsumerResult>(consumerUrl, { buffer: ring.buffer, seenBuffer, perProducer, producers: 1, maxLength: MAX_LENGTH });
    const scratch = new Uint8Array(MAX_LENGTH);
    for (let seq = 0; seq < perProducer; seq++) await ring.write(encode(scratch, 0, seq, recordLength(seq, MAX_LENGTH)), { timeoutMs: 30_000 });
    await ring.write(new Uint8Array(0));
    expect(await consumer).toEqual({ received: perProducer, damaged: 0, outOfOrder: 0, gaps: 0 });
    expect(countWhere(new Uint8Array(seenBuffer), (n) => n !== 1)).toBe(0);
  });

  it("in a worker, awaited reads time out and abort with typed errors, then still receive", async () => {
    const ring = SharedRing.create({ slots: 4, slotSize: 16 });
    const worker = new Worker(
      "const { workerData, parentPort } = require('node:worker_threads');" +
        `import(${JSON.stringify(distUrl.href)}).then(async ({ SharedRing }) => {` +
        "  const ring = SharedRing.attach(workerData.buffer);" +
        "  const codes = [];" +
        "  await ring.read({ timeoutMs: 30 }).catch((e) => codes.push(e.code));" +
        "  const controller = new AbortController();" +
        "  setTimeout(() => controller.abort(), 20);" +
        "  await ring.read({ signal: controller.signal }).catch((e) => codes.push(e.code));" +
        "  try { ring.readSync(20); } catch (e) { codes.push(e.code); }" +
        "  parentPort.postMessage('waiting');" +
        "  const record = await ring.read({ timeoutMs: 10000 });" +
        "  parentPort.postMessage({ codes, record: [...record] });" +
        "});",
      { eval: true, workerData: { buffer: ring.buffer } },
    );
    const done = new Promise<unknown>((resolve, reject) => {
      worker.on("message", (message: unknown) => {
        if (message === "waiting") setTimeout(() => ring.tryWrite(Uint8Array.of(4, 2)), 20);
        else resolve(message);
      });
      worker.once("error", reject);
    });
    expect(await done).toEqual({ codes: ["MQ_TIMEOUT", "MQ_ABORTED", "MQ_TIMEOUT"], record: [4, 2] });
    await worker.terminate();
  }, 30_000);

  it("a worker attaches from the buffer alone and rejects an oversize record", async () => {
    const ring = SharedRing.create({ slots: 4, slotSize: 16 });
    ring.tryWrite(Uint8Array.of(9));
    const result = await runWorker<{ slots: number; slotSize: number; code: string; read: number[] }>(
      "const { workerData, parentPort } = require('node:worker_threads');" +
        `import(${JSON.stringify(distUrl.href)}).then(({ SharedRing }) => {` +
        "  const ring = SharedRing.attach(workerData.buffer);" +
        "  let code = 'none';" +
        "  try { ring.tryWrite(new Uint8Array(17)); } catch (e) { code = e.code; }" +
        "  const read = [...ring.readSync(1000)];" +
        "  ring.writeSync(Uint8Array.of(1, 2, 3), 1000);" +
        "  parentPort.postMessage({ slots: ring.slots, slotSize: ring.slotSize, code, read });" +
        "});",
      { buffer: ring.buffer },
      true,
    );
    expect(result).toEqual({ slots: 4, slotSize: 16, code: "MQ_RECORD_TOO_LARGE", read: [9] });
    expect(ring.tryRead()).toEqual(Uint8Array.of(1, 2, 3));
    expect(ring.tryRead()).toBeUndefined();
  }, 30_000);
});

// ---------------------------------------------------------------------------

interface RunOptions {
  producers: number;
  consumers: number;
  perProducer: number;
  slots: number;
  delayMs?: number;
  onStart?: (ring: SharedRing) => () => void;
}

async function run(options: RunOptions) {
  const ring = SharedRing.create({ slots: options.slots, slotSize: MAX_LENGTH });
  const seenBuffer = new SharedArrayBuffer(options.producers * options.perProducer);
  const stop = options.onStart?.(ring);
  try {
    const consumers = Array.from({ length: options.consumers }, () =>
      runWorker<ConsumerResult>(consumerUrl, {
        buffer: ring.buffer,
        seenBuffer,
        perProducer: options.perProducer,
        producers: options.producers,
        maxLength: MAX_LENGTH,
        delayMs: options.delayMs ?? 0,
      }),
    );
    const producerResults = await Promise.all(
      Array.from({ length: options.producers }, (_, producer) =>
        runWorker<ProducerResult>(producerUrl, { buffer: ring.buffer, producer, count: options.perProducer, maxLength: MAX_LENGTH }),
      ),
    );
    // One empty record per consumer tells it to stop.
    for (let i = 0; i < options.consumers; i++) await ring.write(new Uint8Array(0), { timeoutMs: 30_000 });
    const consumerResults = await Promise.all(consumers);
    return { ring, seen: new Uint8Array(seenBuffer), producerResults, consumerResults };
  } finally {
    stop?.();
  }
}

function runWorker<T>(source: URL | string, workerData: unknown, evalSource = false): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(source, { workerData, eval: evalSource });
    let result: T | undefined;
    worker.once("message", (message: T) => (result = message));
    worker.once("error", reject);
    worker.once("exit", (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`worker exited with code ${code} before reporting`))));
  });
}

function sum(results: readonly ConsumerResult[], key: keyof ConsumerResult): number {
  return results.reduce((total, r) => total + r[key], 0);
}

function countWhere(values: Uint8Array, predicate: (n: number) => boolean): number {
  let count = 0;
  for (const n of values) if (predicate(n)) count++;
  return count;
}
