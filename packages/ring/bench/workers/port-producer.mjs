// postMessage baseline producer: one structured-cloned 64-byte record per message.
import { parentPort, workerData } from "node:worker_threads";

const { port, control, count, size } = workerData;
const flag = new Int32Array(control);
const record = new Uint8Array(size).fill(7);
const view = new DataView(record.buffer);
parentPort.postMessage("ready");
Atomics.wait(flag, 0, 0);
for (let seq = 0; seq < count; seq++) {
  view.setUint32(0, seq);
  port.postMessage(record);
}
parentPort.postMessage("done");
