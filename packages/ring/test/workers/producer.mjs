// Writes `count` verifiable records for `producer` into the ring, blocking
// (writeSync) when it is full; reports how often it found the ring full.
import { parentPort, workerData } from "node:worker_threads";
import { SharedRing } from "../../dist/index.js";
import { encode, recordLength } from "./record.mjs";

const { buffer, producer, count, maxLength } = workerData;
const ring = SharedRing.attach(buffer);
const scratch = new Uint8Array(maxLength);
let foundFull = 0;
for (let seq = 0; seq < count; seq++) {
  const record = encode(scratch, producer, seq, recordLength(seq, maxLength));
  if (!ring.tryWrite(record)) {
    foundFull++;
    ring.writeSync(record, 20_000);
  }
}
parentPort.postMessage({ foundFull });
