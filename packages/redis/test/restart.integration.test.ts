import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkHistory, classifyError, createEventLog, formatHistoryReport, readEventLogs, type EventLog } from "@mq/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { redisBackend, type RedisBackend } from "../src/index";
import { RedisServer, REDIS_SERVER, SKIP_REASON } from "./redis-server";

// R1 / R2 (reliability-anchors §5): kill -9 redis-server under load and start
// it again on the same AOF. With `appendfsync always` nothing resolved may be
// lost; with `everysec` the checker forgives writes within 2 s of a crash, the
// README's window (Redis may reply before it write()s the AOF while a
// background fsync is slow, so even a kill -9 of the server loses some).
// MQ_QUICK=1 (the extra Node versions in CI): 2 cycles per setting.
const CYCLES = Number(process.env.MQ_REDIS_RESTART_CYCLES ?? (process.env.MQ_QUICK === "1" ? 2 : 5));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function produce(b: RedisBackend, log: EventLog, stop: () => boolean): Promise<number> {
  let n = 0;
  while (!stop()) {
    const op = `p:e${n}`;
    const items = Array.from({ length: 10 }, (_, i) => ({ tok: `p:${n + i}`, prio: (n + i) % 2, ...((n + i) % 7 === 0 ? { key: `k${(n + i) % 50}` } : {}) }));
    n += 10;
    log.write({ k: "enq.invoke", op, queue: "q", items });
    try {
      const res = await b.enqueue(items.map((it) => ({ queue: "q", payload: { tok: it.tok }, priority: it.prio, ...(it.key === undefined ? {} : { key: it.key }) })));
      log.write({ k: "enq.ok", op, results: res.map((r, k) => ({ tok: items[k]!.tok, id: r.id, result: r.status, version: r.version })) });
    } catch (e) {
      const { outcome, code } = classifyError(e);
      log.write(outcome === "fail" ? { k: "enq.fail", op, code } : { k: "enq.info", op, code });
      await sleep(50);
    }
  }
  return n;
}

async function consume(b: RedisBackend, log: EventLog, stop: () => boolean): Promise<void> {
  let seq = 0;
  while (!stop()) {
    const rop = `c:r${seq++}`;
    log.write({ k: "recv.invoke", rop, consumer: "c", queue: "q" });
    let ds;
    try {
      ds = await b.receive("q", { max: 10, leaseMs: 1_000, waitMs: 200 });
      log.write({ k: "recv.ok", rop, d: ds.map((d) => ({ id: d.message.id, tok: (d.message.payload as { tok: string }).tok, version: d.message.version, attempt: d.attempt, receipt: d.receipt, leaseMs: 1_000 })) });
    } catch (e) {
      const { outcome, code } = classifyError(e);
      log.write({ k: outcome === "fail" ? "recv.fail" : "recv.info", rop, code });
      await sleep(50);
      continue;
    }
    if (ds.length === 0) continue;
    const aop = `c:a${seq++}`;
    const receipts = ds.map((d) => d.receipt);
    log.write({ k: "ack.invoke", aop, receipts });
    try {
      await b.ack(receipts);
      log.write({ k: "ack.ok", aop });
    } catch (e) {
      const { outcome, code } = classifyError(e);
      log.write({ k: outcome === "fail" ? "ack.fail" : "ack.info", aop, code });
    }
  }
}

if (REDIS_SERVER === undefined) {
  describe("redis restart (R1, R2)", () => it.skip(SKIP_REASON, () => undefined));
} else {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  describe.each([
    ["always", "R1: nothing resolved is lost"],
    ["everysec", "R2: loss stays inside the documented 2 s window"],
  ] as const)("redis-server killed under load, appendfsync %s", (fsync, title) => {
    it(`${title} (${CYCLES} kill -9 cycles)`, async () => {
      const server = await RedisServer.start({ appendfsync: fsync });
      const dir = mkdtempSync(path.join(tmpdir(), "mq-redis-restart-"));
      const b = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "r", sweepIntervalMs: 200, commandTimeoutMs: 2_000, maxRetriesPerRequest: 1 });
      cleanups.push(async () => {
        await b.close().catch(() => undefined);
        await server.destroy();
        rmSync(dir, { recursive: true, force: true });
      });
      await b.open();
      const unavailable: string[] = [];
      b.events.on("error", (e) => unavailable.push(e.code));
      const log = createEventLog(path.join(dir, "run.jsonl"));
      let producing = true;
      let consuming = true;
      const producer = produce(b, log, () => !producing);
      const consumer = consume(b, log, () => !consuming);
      for (let gen = 1; gen <= CYCLES; gen++) {
        await sleep(600);
        log.write({ k: "crash", gen });
        await server.stop("SIGKILL");
        await sleep(200);
        await server.launch();
        log.write({ k: "restart", gen });
      }
      await sleep(300);
      producing = false;
      const produced = await producer;
      let quietSince = 0;
      const end = Date.now() + 60_000;
      for (;;) {
        const s = await b.stats("q").catch(() => undefined);
        if (s !== undefined && s.ready + s.delayed + s.inFlight === 0) {
          if (quietSince === 0) quietSince = Date.now();
          else if (Date.now() - quietSince > 1_500) break;
        } else quietSince = 0;
        if (Date.now() > end) throw new Error("queue did not drain");
        await sleep(100);
      }
      consuming = false;
      await consumer;
      const stats = await b.stats("q");
      log.write({ k: "final", dlq: [], expired: [], purged: [], stats: { ready: stats.ready, inflight: stats.inFlight, delayed: stats.delayed } });
      log.close();
      const report = checkHistory(readEventLogs([path.join(dir, "run.jsonl")]), fsync === "always" ? { mode: "always", maxRetries: 10, epsMs: 50 } : { mode: "interval", intervalMs: 2_000, maxRetries: 10, epsMs: 50 });
      console.log(`appendfsync ${fsync}: ${CYCLES} kills, ${produced} tokens sent, acked ${stats.totals.acked}\n${formatHistoryReport(report).split("\n").slice(0, 25).join("\n")}`);
      expect(report.valid).toBe(true);
      expect(unavailable).toContain("MQ_CONNECTION");
      expect(stats.totals.acked).toBeGreaterThan(0);
    });
  });
}
