// Reads records until an empty record (the stop sign), verifying each and
// marking it in the shared `seen` counters; reports counts and order problems.
import { parentPort, workerData } from "node:worker_threads";
import { SharedRing } from "../../dist/index.js";
import { decode } from "./record.mjs";

const { buffer, seenBuffer, perProducer, producers, maxLength, delayMs = 0 } = workerData;
const ring = SharedRing.attach(buffer);
const seen = new Uint8Array(seenBuffer);
const last = new Array(producers).fill(-1);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let received = 0;
let damaged = 0;
let outOfOrder = 0; // a producer's seq not above the last one this consumer saw from it
let gaps = 0; // a producer's seq not exactly one above the last one seen
for (;;) {
  const record = ring.readSync(20_000);
  if (record.length === 0) break;
  const decoded = decode(record, maxLength);
  if (decoded === undefined || decoded.producer >= producers || decoded.seq >= perProducer) {
    damaged++;
    continue;
  }
  const { producer, seq } = decoded;
  Atomics.add(seen, producer * perProducer + seq, 1);
  if (seq <= last[producer]) outOfOrder++;
  if (seq !== last[producer] + 1) gaps++;
  last[producer] = seq;
  received++;
  if (delayMs > 0) Atomics.wait(sleeper, 0, 0, delayMs);
}
parentPort.postMessage({ received, damaged, outOfOrder, gaps });
