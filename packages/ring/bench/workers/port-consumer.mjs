// postMessage baseline consumer: counts records until it has `count`.
import { parentPort, workerData } from "node:worker_threads";

const { port, count } = workerData;
let received = 0;
let checksum = 0;
port.on("message", (record) => {
  checksum = (checksum + record[3]) | 0;
  if (++received === count) {
    parentPort.postMessage({ received, checksum });
    port.close();
  }
});
parentPort.postMessage("ready");
