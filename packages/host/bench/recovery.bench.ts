// Recovery of 1,000,000 queued messages through the host, the way a restart does it: a snapshot
// holding most of them plus a journal tail after it, opened by a fresh process. Target ≤ 2 s.
// 256-byte payloads (as every host bench). Default options except: automatic snapshots off while
// the data folder is built (`snapshot: { everyOps: 0, everyMs: 0, onClose: false }`), so the one
// snapshot is the one taken by hand and the tail stays in the journal.
//
//   pnpm --filter @mq/host bench:recovery                  (build first: the child runs dist/)
//   RECOVERY_MESSAGES=1000000 RECOVERY_TAIL=100000 RECOVERY_PROFILE=1 pnpm --filter @mq/host bench:recovery
// RECOVERY_PROFILE=1 writes the child's CPU profile (`node --cpu-prof`) to bench-results/ and
// prints its top self-time functions.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { report, type BenchRow } from "@mq-tooling/bench/report";
import { createQueueHost } from "../src/index";

const M = Number(process.env.RECOVERY_MESSAGES ?? 1_000_000);
const TAIL = Number(process.env.RECOVERY_TAIL ?? Math.round(M / 10));
const PROFILE = process.env.RECOVERY_PROFILE === "1";
const payload = { body: "x".repeat(240), n: 0 }; // encodes to ~256 bytes
const rows: BenchRow[] = [];
const here = path.dirname(fileURLToPath(import.meta.url));

type ChildResult = { ms: number; ready: number; framesReplayed: number; snapshotLsn: number; journalMs: number; cpuUs: number; heapMiB: number; rssMiB: number };

function recoverInChild(dir: string): ChildResult {
  const profDir = path.resolve("bench-results", "recovery-cpuprofile");
  const flags = PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [];
  if (PROFILE) {
    rmSync(profDir, { recursive: true, force: true });
    mkdirSync(profDir, { recursive: true });
  }
  const out = execFileSync(process.execPath, [...flags, path.join(here, "recover-child.mjs"), dir], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (PROFILE) {
    const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
    if (file) console.log(execFileSync(process.execPath, [path.join(here, "../../journal/bench/profile-summary.mjs"), path.join(profDir, file), "25"], { encoding: "utf8" }));
  }
  return JSON.parse(out) as ChildResult;
}

// RECOVERY_DIR=path keeps the data folder there (built on the first run, reused after: A/B runs of the child).
const keep = process.env.RECOVERY_DIR;
const dir = keep ?? mkdtempSync(path.join(tmpdir(), "mq-host-recovery-"));
try {
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}; ${M.toLocaleString("en-US")} messages (${TAIL.toLocaleString("en-US")} in the journal tail)`);
  let snapBytes = 0;
  if (keep === undefined || !existsSync(path.join(keep, "journal"))) {
    const host = createQueueHost({ dataDir: dir, snapshot: { everyOps: 0, everyMs: 0, onClose: false } });
    await host.start();
    const batch = Array.from({ length: 1000 }, () => ({ queue: "orders", payload }));
    for (let i = 0; i < (M - TAIL) / 1000; i++) await host.enqueueBatch(batch);
    snapBytes = (await host.snapshot()).bytes;
    for (let i = 0; i < TAIL / 1000; i++) await host.enqueueBatch(batch);
    await host.stop();
  }
  const r = recoverInChild(dir);
  if (r.ready !== M) throw new Error(`recovered ${r.ready} of ${M} messages`);
  rows.push({ name: `recovery of ${M.toLocaleString("en-US")} queued messages (snapshot + ${TAIL.toLocaleString("en-US")}-message journal tail), fresh process`, value: r.ms / 1000, unit: "s", target: "<= 2 s", note: `${Math.round(M / (r.ms / 1000)).toLocaleString("en-US")} msg/s; ${(r.cpuUs / M).toFixed(2)} µs CPU per message; ${snapBytes > 0 ? `snapshot ${(snapBytes / 2 ** 20).toFixed(0)} MiB; ` : ""}${r.framesReplayed} frames replayed` });
  rows.push({ name: "  of which the journal's open() (read + decode + restore + replay)", value: r.journalMs / 1000, unit: "s" });
  rows.push({ name: "  heap used / RSS after recovery", value: r.heapMiB, unit: "MiB heap", note: `${r.rssMiB.toFixed(0)} MiB RSS` });
  rows.push({ name: "load average (1 min) at the end", value: loadavg()[0]!, unit: "" });
  report("host-recovery", rows);
} finally {
  if (keep === undefined) rmSync(dir, { recursive: true, force: true });
}
