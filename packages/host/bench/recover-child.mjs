// Opens a host on an existing data folder in a fresh process (as a restart
// would) and prints how long recovery took.
import { createQueueHost } from "../dist/index.js";

const started = performance.now();
const host = createQueueHost({ dataDir: process.argv[2], snapshot: { everyOps: 0, everyMs: 0, onClose: false } });
const report = await host.start();
const ms = performance.now() - started;
const { ready } = await host.stats();
await host.stop();
process.stdout.write(JSON.stringify({ ms, ready, framesReplayed: report?.framesReplayed ?? 0, snapshotLsn: report?.snapshotLsn ?? 0 }));
