// CPU per append with the disk taken out (writev and fdatasync answer at once): what the journal
// itself costs per record with 1,024 closed-loop appenders, `batch` mode. For profiling:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/cpu-append.bench.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFilePersistence, nodeFs, type JournalFs } from "../src/index";

const MS = Number(process.env.BENCH_MS ?? 3000);
const root = mkdtempSync(join(tmpdir(), "mq-journal-cpu-"));
const fs: JournalFs = Object.create(nodeFs) as JournalFs;
Object.defineProperty(fs, "identity", { get: () => nodeFs.identity });
fs.writev = (_fd, buffers) => Promise.resolve(buffers.reduce((n, b) => n + b.byteLength, 0));
fs.fdatasync = () => Promise.resolve();
const PAYLOAD = "m".repeat(256);
try {
  const p = createFilePersistence({ dataDir: join(root, "d"), fs, snapshotEveryOps: 0 });
  await p.open({ restore() {}, apply() {}, capture: () => ({ meta: null, items: [] }) });
  let records = 0;
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      await p.append([PAYLOAD]);
      records++;
    }
  };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const loops = Array.from({ length: 1024 }, loop);
  await new Promise((r) => setTimeout(r, MS));
  running = false;
  await Promise.all(loops);
  const cpu = process.cpuUsage(cpu0);
  const secs = (performance.now() - t0) / 1000;
  console.log(`${Math.round(records / secs).toLocaleString("en-US")} appends/s with the disk stubbed out; ${((cpu.user + cpu.system) / records).toFixed(2)} µs CPU per append (appender loop included)`);
  await p.close();
} finally {
  rmSync(root, { recursive: true, force: true });
}
