import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { checkHistory, createEventLog, formatHistoryReport, readEventLogs } from "@mq/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { spawnWorker } from "./fixtures/spawn-worker";
import { sleep, tempDir } from "./support";

const long = process.env.MQ_LONG === "1";
// MQ_QUICK (the extra Node versions in CI): fewer cycles; the full count runs on the main Node.
const quick = process.env.MQ_QUICK === "1";

describe("crash recovery with real processes", () => {
  const dirs: { cleanup: () => void }[] = [];
  afterAll(() => dirs.forEach((d) => d.cleanup()));

  it("loses nothing acknowledged across SIGKILLs at random moments, at journal failpoints and during a clean stop", async () => {
    const data = tempDir("mq-crash-data-");
    const logs = tempDir("mq-crash-logs-");
    dirs.push(data, logs);
    const parentLog = createEventLog(path.join(logs.dir, "parent.jsonl"));
    const cycles = long ? 300 : quick ? 10 : 30;
    const failpoints = ["append.beforeWrite", "append.afterWrite", "append.afterSync", "append.afterResolve", "snapshot.afterTmpSync", "snapshot.afterRename", "compaction.afterFirstUnlink", "segment.roll.afterCreate"];
    const recoveryMs: number[] = [];
    let failpointDeaths = 0;
    let stopKills = 0;
    for (let gen = 1; gen <= cycles; gen++) {
      const env: Record<string, string> = { MQ_DATA_DIR: data.dir, MQ_LOG: path.join(logs.dir, `gen-${gen}.jsonl`), MQ_ROLE: "load", MQ_GEN: String(gen), MQ_SEED: String(gen * 7919) };
      const mode = gen % 7 === 0 ? "stop" : gen % 3 === 0 ? "failpoint" : "random";
      if (mode === "failpoint") env.MQ_FAILPOINT = `${failpoints[gen % failpoints.length]}:${1 + ((gen * 37) % 40)}`;
      if (mode === "stop") env.MQ_FAILPOINT = "close.beforeFinalSnapshot:1";
      const w = spawnWorker("crash-worker.mjs", env);
      const ready = await w.line("ready");
      const recovery = ready.recovery as { durationMs: number };
      recoveryMs.push(recovery.durationMs);
      parentLog.write({ k: "restart", gen, recoveryMs: recovery.durationMs });
      await sleep(100 + ((gen * 131) % 500));
      if (mode === "stop") {
        // C5: SIGTERM starts a clean stop, which dies at the final snapshot.
        w.child.kill("SIGTERM");
        const exit = await Promise.race([w.exited, sleep(5_000).then(() => undefined)]);
        if (exit?.signal === "SIGKILL") stopKills++;
      } else if (mode === "failpoint") {
        const exit = await Promise.race([w.exited, sleep(1_500).then(() => undefined)]);
        if (exit?.signal === "SIGKILL") failpointDeaths++;
      }
      parentLog.write({ k: "crash", gen });
      w.child.kill("SIGKILL");
      await w.exited;
    }
    const drain = spawnWorker("crash-worker.mjs", { MQ_DATA_DIR: data.dir, MQ_LOG: path.join(logs.dir, "drain.jsonl"), MQ_ROLE: "drain", MQ_GEN: String(cycles + 1) });
    await drain.line("ready");
    parentLog.write({ k: "restart", gen: cycles + 1 });
    const drained = await drain.line("drained", 120_000);
    expect((await drain.exited).code).toBe(0);
    parentLog.close();

    const events = readEventLogs(readdirSync(logs.dir).map((f) => path.join(logs.dir, f)));
    const report = checkHistory(events, { mode: "batch", maxRetries: 3, dedupWindowMs: 3_600_000 });
    const enqueued = events.filter((e) => e.k === "enq.ok").length;
    const acked = events.filter((e) => e.k === "ack.ok").length;
    console.log(
      `crash test: ${cycles} cycles (${failpointDeaths} at failpoints, ${stopKills} during stop), ${enqueued} enqueues and ${acked} acks resolved, ` +
        `recovery ${Math.min(...recoveryMs).toFixed(1)}–${Math.max(...recoveryMs).toFixed(1)} ms\n${formatHistoryReport(report)}`,
    );
    expect(report.valid, formatHistoryReport(report)).toBe(true);
    expect(enqueued).toBeGreaterThan(cycles * 5);
    expect(acked).toBeGreaterThan(cycles * 2);
    expect(failpointDeaths).toBeGreaterThan(0);
    expect(stopKills).toBeGreaterThan(0);
    // M2: after the drain nothing is left in the engine (drop-mode keys live out their window).
    expect(drained.internals).toMatchObject({ entries: 0, leases: 0, scheduled: 0, receiveWaiters: 0 });
  });

  it("H4: a message whose delivery kills the process is dead-lettered after maxAttempts crashes, not replayed forever", async () => {
    const data = tempDir("mq-poison-");
    dirs.push(data);
    let crashes = 0;
    for (let gen = 1; gen <= 10; gen++) {
      const w = spawnWorker("crash-worker.mjs", { MQ_DATA_DIR: data.dir, MQ_LOG: path.join(data.dir, `log-${gen}.jsonl`), MQ_ROLE: "poison", MQ_GEN: String(gen), MQ_SEED_POISON: gen === 1 ? "1" : "0" });
      const exit = await w.exited;
      if (exit.signal === "SIGKILL") {
        crashes++;
        continue;
      }
      expect(exit.code, w.stderr()).toBe(0);
      const done = await w.line("poisonDone");
      expect(done.letters).toEqual([{ reason: "poison", attempts: 3, timestamps: 3 }]);
      break;
    }
    expect(crashes).toBe(3);
  });
});

describe("H7: graceful SIGTERM under load", () => {
  it("stops within the drain timeout, exits 0, releases the folder, and loses nothing", async () => {
    const data = tempDir("mq-sigterm-");
    const files = tempDir("mq-sigterm-files-");
    const produced = path.join(files.dir, "produced.txt");
    const handled = path.join(files.dir, "handled.txt");
    const cycles = long ? 100 : 20;
    const replayed: number[] = [];
    try {
      for (let gen = 1; gen <= cycles + 1; gen++) {
        const last = gen === cycles + 1;
        const w = spawnWorker("crash-worker.mjs", { MQ_DATA_DIR: data.dir, MQ_LOG: path.join(files.dir, `log-${gen}.jsonl`), MQ_ROLE: "handler", MQ_GEN: String(gen), MQ_SEED: String(gen), MQ_PRODUCED: produced, MQ_HANDLED: handled, MQ_COUNT: last ? "0" : "150" });
        const ready = await w.line("ready");
        if (gen > 1) replayed.push((ready.recovery as { framesReplayed: number }).framesReplayed);
        await w.line("produced");
        await sleep(last ? 1_500 : 50 + ((gen * 97) % 200));
        const sent = Date.now();
        w.child.kill("SIGTERM");
        const exit = await w.exited;
        expect(exit.code, w.stderr()).toBe(0);
        expect(Date.now() - sent).toBeLessThan(2_000 + 1_000 + 500);
        expect(existsSync(path.join(data.dir, "LOCK"))).toBe(false);
      }
      const producedToks = new Set(readFileSync(produced, "utf8").split("\n").filter(Boolean));
      const handledToks = new Set(readFileSync(handled, "utf8").split("\n").filter(Boolean));
      expect(producedToks.size).toBe(cycles * 150);
      const lost = [...producedToks].filter((t) => !handledToks.has(t));
      expect(lost, `lost: ${lost.slice(0, 5).join(", ")}`).toEqual([]);
      // A clean stop ends with a snapshot: the next start replays (almost) nothing.
      expect(Math.max(...replayed)).toBeLessThanOrEqual(2);
    } finally {
      data.cleanup();
      files.cleanup();
    }
  });
});
