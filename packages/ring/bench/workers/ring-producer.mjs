// Bench producer: waits for the start flag, writes `count` records of `size`
// bytes (seq stamped in the first 4), then one empty record as a stop sign.
import { parentPort, workerData } from "node:worker_threads";
import { SharedRing } from "../../dist/index.js";

const { buffer, control, count, size } = workerData;
const ring = SharedRing.attach(buffer);
const flag = new Int32Array(control);
const record = new Uint8Array(size).fill(7);
const view = new DataView(record.buffer);
parentPort.postMessage("ready");
Atomics.wait(flag, 0, 0);
for (let seq = 0; seq < count; seq++) {
  view.setUint32(0, seq);
  ring.writeSync(record);
}
ring.writeSync(new Uint8Array(0));
parentPort.postMessage("done");
