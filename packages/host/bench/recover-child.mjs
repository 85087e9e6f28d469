// Opens a host on an existing data folder in a fresh process (as a restart
// would) and prints how long recovery took.
import { createQueueHost } from "../dist/index.js";

const started = performance.now();
const cpu0 = process.cpuUsage();
const host = createQueueHost({ dataDir: process.argv[2], snapshot: { everyOps: 0, everyMs: 0, onClose: false } });
const report = await host.start();
const ms = performance.now() - started;
const cpu = process.cpuUsage(cpu0);
const mem = process.memoryUsage();
const { ready } = await host.stats();
await host.stop();
process.stdout.write(
  JSON.stringify({
    ms,
    ready,
    framesReplayed: report?.framesReplayed ?? 0,
    snapshotLsn: report?.snapshotLsn ?? 0,
    journalMs: report?.durationMs ?? 0,
    cpuUs: cpu.user + cpu.system,
    heapMiB: mem.heapUsed / 2 ** 20,
    rssMiB: mem.rss / 2 ** 20,
  }),
);
