// Bench consumer: reads until a stop sign, touching each record's first byte.
import { parentPort, workerData } from "node:worker_threads";
import { SharedRing } from "../../dist/index.js";

const { buffer } = workerData;
const ring = SharedRing.attach(buffer);
parentPort.postMessage("ready");
let received = 0;
let checksum = 0;
for (;;) {
  const record = ring.readSync();
  if (record.length === 0) break;
  checksum = (checksum + record[3]) | 0;
  received++;
}
parentPort.postMessage({ received, checksum });
