import path from "node:path";
import { checkHistory, classifyError, createEventLog, formatHistoryReport, readEventLogs } from "@mq/core/testing";
import { afterAll, expect, it } from "vitest";
import { spawnServer, type Child } from "./fixtures/processes";
import { openClient, sleep, tempDir } from "./support";

// kill -9 of the server process mid-load loses nothing acknowledged: every enqueue
// the server confirmed is acked or comes back after the restart, and no message
// whose ack the server confirmed is delivered again. Counted exactly, client side,
// and checked again by the history checker of @mq/core/testing over the event log.
const children: Child[] = [];
const data = tempDir("mq-server-crash-");
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  await Promise.all(children.map((c) => c.exited));
  data.cleanup();
});

it("loses nothing acknowledged across kill -9 of the server under load", async () => {
  const confirmed = new Set<number>(); // enqueue resolved
  const acked = new Set<number>(); // ack resolved
  const ackUnknown = new Set<number>(); // ack failed with a connection error: outcome unknown
  let next = 0;
  let opSeq = 0;
  const logFile = path.join(data.dir, "history.jsonl");
  const log = createEventLog(logFile);
  const cycles = process.env.MQ_LONG === "1" ? 20 : 3;
  for (let cycle = 0; cycle < cycles; cycle++) {
    const server = await spawnServer(data.dir);
    children.push(server);
    log.write({ k: "restart", gen: cycle + 1 });
    const client = await openClient(server.url, { timeoutMs: 5_000 });
    let running = true;
    const producer = (async () => {
      while (running) {
        const batch = Array.from({ length: 20 }, () => next++);
        const op = `e${++opSeq}`;
        log.write({ k: "enq.invoke", op, queue: "crash", items: batch.map((n) => ({ tok: `t${n}`, prio: 0 })) });
        try {
          const results = await client.enqueueBatch(batch.map((n) => ({ queue: "crash", payload: { n, tok: `t${n}` } })));
          log.write({ k: "enq.ok", op, results: results.map((r, i) => ({ tok: `t${batch[i]!}`, id: r.id, result: r.status, version: r.version })) });
          for (const n of batch) confirmed.add(n);
        } catch (error) {
          const { outcome, code } = classifyError(error);
          log.write(outcome === "fail" ? { k: "enq.fail", op, code: code ?? "?" } : { k: "enq.info", op, ...(code === undefined ? {} : { code }) });
          return; // outcome unknown: these numbers are neither confirmed nor required
        }
      }
    })();
    const consumer = (async () => {
      while (running) {
        let got;
        const rop = `r${++opSeq}`;
        log.write({ k: "recv.invoke", rop, consumer: `c${cycle}`, queue: "crash" });
        try {
          got = await client.receive<{ n: number; tok: string }>("crash", { max: 20, leaseMs: 30_000, waitMs: 100 });
          log.write({ k: "recv.ok", rop, d: got.map((d) => ({ id: d.message.id, tok: d.message.payload.tok, version: d.message.version, attempt: d.attempt, receipt: d.receipt, leaseMs: 30_000 })) });
        } catch (error) {
          log.write({ k: classifyError(error).outcome === "fail" ? "recv.fail" : "recv.info", rop });
          return;
        }
        if (got.length === 0) continue;
        const ns = got.map((d) => d.message.payload.n);
        const aop = `a${++opSeq}`;
        log.write({ k: "ack.invoke", aop, receipts: got.map((d) => d.receipt) });
        try {
          await client.ack(got.map((d) => d.receipt));
          log.write({ k: "ack.ok", aop });
          for (const n of ns) acked.add(n);
        } catch (error) {
          log.write({ k: classifyError(error).outcome === "fail" ? "ack.fail" : "ack.info", aop });
          for (const n of ns) ackUnknown.add(n);
          return;
        }
      }
    })();
    await sleep(400 + cycle * 150);
    server.child.kill("SIGKILL");
    await server.exited;
    log.write({ k: "crash", gen: cycle + 1 });
    running = false;
    await Promise.all([producer, consumer]);
    await client.close();
  }
  // Recover and drain everything that is left.
  const server = await spawnServer(data.dir);
  children.push(server);
  log.write({ k: "restart", gen: cycles + 1 });
  const client = await openClient(server.url);
  const recovered = new Set<number>();
  for (;;) {
    const rop = `r${++opSeq}`;
    log.write({ k: "recv.invoke", rop, consumer: "drain", queue: "crash" });
    const got = await client.receive<{ n: number; tok: string }>("crash", { max: 100, leaseMs: 60_000, waitMs: 200 });
    log.write({ k: "recv.ok", rop, d: got.map((d) => ({ id: d.message.id, tok: d.message.payload.tok, version: d.message.version, attempt: d.attempt, receipt: d.receipt, leaseMs: 60_000 })) });
    if (got.length === 0) break;
    for (const d of got) recovered.add(d.message.payload.n);
    const aop = `a${++opSeq}`;
    log.write({ k: "ack.invoke", aop, receipts: got.map((d) => d.receipt) });
    await client.ack(got.map((d) => d.receipt));
    log.write({ k: "ack.ok", aop });
  }
  const left = await client.stats("crash");
  log.write({ k: "final", dlq: [], expired: [], purged: [], stats: { ready: left.ready, inflight: left.inFlight, delayed: left.delayed } });
  log.close();
  const report = checkHistory(readEventLogs([logFile]), { mode: "batch", maxRetries: 4 });
  if (!report.valid) console.log(formatHistoryReport(report));
  const lost = [...confirmed].filter((n) => !acked.has(n) && !ackUnknown.has(n) && !recovered.has(n));
  const redelivered = [...acked].filter((n) => recovered.has(n));
  console.log(`crash: ${cycles} kill -9 cycles, ${confirmed.size} enqueues and ${acked.size} acks confirmed, ${ackUnknown.size} acks unknown, ${recovered.size} recovered; lost ${lost.length}, acked-then-redelivered ${redelivered.length}; history checker: ${report.valid ? "valid" : "INVALID"} over ${report.totals.events} events, ${report.totals.deliveries} deliveries`);
  expect(confirmed.size).toBeGreaterThan(0);
  expect(acked.size).toBeGreaterThan(0);
  expect(lost).toEqual([]);
  expect(redelivered).toEqual([]);
  expect(report.valid).toBe(true);
  await client.close();
  server.child.kill("SIGTERM");
  expect((await server.exited).code).toBe(0);
});
