import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReferenceModel, type ModelItem, type ModelOptions, type ModelOutcome } from "./_reference-model";
import { checkHistory } from "./check-history";
import type { Ev, EvOf } from "./events";
import { formatHistoryReport } from "./report";

// 2,000 random histories per property in CI; MQ_LONG=1 runs 10,000.
const RUNS = process.env.MQ_LONG === "1" ? 10_000 : 2_000;
const MAX_RETRIES = 1;
const WINDOW_MS = 300;

const outcome: fc.Arbitrary<ModelOutcome> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<ModelOutcome>("ok") },
  { weight: 1, arbitrary: fc.constantFrom<ModelOutcome>("fail", "info-applied", "info-dropped", "crash-applied", "crash-dropped") },
);
const lag = fc.integer({ min: 0, max: 3 });
const queue = fc.constantFrom("q0", "q1");
// TTL only on unkeyed items: whether a replace resets the TTL is the engine's choice, not the contract's.
const item: fc.Arbitrary<ModelItem> = fc.oneof(
  fc.record({ key: fc.constantFrom("k1", "k2", "k3"), prio: fc.integer({ min: 0, max: 2 }), delayMs: fc.option(fc.integer({ min: 1, max: 80 }), { nil: undefined }) }, { requiredKeys: ["key", "prio"] }),
  fc.record(
    { prio: fc.integer({ min: 0, max: 2 }), delayMs: fc.integer({ min: 1, max: 80 }), ttlMs: fc.integer({ min: 5, max: 300 }), queue },
    { requiredKeys: ["prio"] },
  ),
);

type Cmd =
  | { c: "enq"; queue: string; items: ModelItem[]; outcome: ModelOutcome; lag: number }
  | { c: "recv"; consumer: string; queue: string; max: number; leaseMs: number; lost: boolean; lag: number }
  | { c: "ack"; consumer: string; pick: number[]; publish: ModelItem[]; outcome: ModelOutcome; lag: number }
  | { c: "nack"; consumer: string; pick: number; delayMs: number; lag: number }
  | { c: "ext"; consumer: string; pick: number; leaseMs: number; lag: number }
  | { c: "wait"; ms: number }
  | { c: "crash"; pick: number };

const consumer = fc.constantFrom("c1", "c2");
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ c: fc.constant("enq" as const), queue, items: fc.array(item, { minLength: 1, maxLength: 3 }), outcome, lag }) },
  {
    weight: 5,
    arbitrary: fc.record({
      c: fc.constant("recv" as const),
      consumer,
      queue,
      max: fc.integer({ min: 1, max: 3 }),
      leaseMs: fc.integer({ min: 10, max: 150 }),
      lost: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
      lag,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      c: fc.constant("ack" as const),
      consumer,
      pick: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
      publish: fc.array(fc.record({ queue, prio: fc.integer({ min: 0, max: 2 }), key: fc.option(fc.constantFrom("k1", "k4"), { nil: undefined }) }, { requiredKeys: ["queue", "prio"] }), { maxLength: 2 }),
      outcome,
      lag,
    }),
  },
  { weight: 3, arbitrary: fc.record({ c: fc.constant("nack" as const), consumer, pick: fc.nat(), delayMs: fc.integer({ min: 0, max: 50 }), lag }) },
  { weight: 2, arbitrary: fc.record({ c: fc.constant("ext" as const), consumer, pick: fc.nat(), leaseMs: fc.integer({ min: 10, max: 200 }), lag }) },
  { weight: 3, arbitrary: fc.record({ c: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ c: fc.constant("crash" as const), pick: fc.nat() }) },
);

function run(cmds: readonly Cmd[], durability?: ModelOptions["durability"]): Ev[] {
  const m = new ReferenceModel({ maxRetries: MAX_RETRIES, dedupWindowMs: WINDOW_MS, dropQueues: ["q1"], ...(durability === undefined ? {} : { durability }) });
  const held = (c: string): string[] => m.held.get(c) ?? [];
  for (const x of cmds) {
    switch (x.c) {
      case "enq":
        m.enqueue(x.queue, x.items, x.outcome, x.lag);
        break;
      case "recv":
        m.receive(x.consumer, x.queue, x.max, x.leaseMs, x.lost ? "lost" : "ok", x.lag);
        break;
      case "ack": {
        const list = held(x.consumer);
        if (list.length === 0) break;
        const receipts = [...new Set(x.pick.map((p) => list[p % list.length] ?? ""))];
        m.ack(receipts, x.publish, x.outcome, x.lag);
        break;
      }
      case "nack": {
        const list = held(x.consumer);
        const r = list[x.pick % Math.max(1, list.length)];
        if (r !== undefined) m.nack(r, x.delayMs, x.lag);
        break;
      }
      case "ext": {
        const list = held(x.consumer);
        const r = list[x.pick % Math.max(1, list.length)];
        if (r !== undefined) m.extend(r, x.leaseMs, x.lag);
        break;
      }
      case "wait":
        m.advance(x.ms);
        break;
      case "crash":
        m.crash(5, x.pick);
        break;
    }
  }
  return m.drain();
}

describe("checkHistory finds no violation in histories of a correct queue", () => {
  it(`accepts ${String(RUNS)} random histories with crashes, retries, duplicates, dedup, batches and ack+publish`, () => {
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 40, size: "max" }), (cmds) => {
        const events = run(cmds);
        for (const mode of ["batch", "none"] as const) {
          const report = checkHistory(events, { mode, maxRetries: MAX_RETRIES, dedupWindowMs: WINDOW_MS });
          expect(report.valid, formatHistoryReport(report)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`accepts ${String(RUNS / 2)} histories of lossy modes (interval on power loss, none) when checked in that mode`, () => {
    const durability: fc.Arbitrary<NonNullable<ModelOptions["durability"]>> = fc.oneof(
      fc.integer({ min: 1, max: 60 }).map((intervalMs) => ({ mode: "interval" as const, intervalMs })),
      fc.constant({ mode: "none" as const }),
    );
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 40, size: "max" }), durability, (cmds, d) => {
        const events = run(cmds, d);
        const base = { maxRetries: MAX_RETRIES, dedupWindowMs: WINDOW_MS };
        const report = checkHistory(events, d.mode === "interval" ? { ...base, mode: "interval", intervalMs: d.intervalMs } : { ...base, mode: "none" });
        expect(report.valid, formatHistoryReport(report)).toBe(true);
      }),
      { numRuns: RUNS / 2 },
    );
  });

  it(`catches mutations of ${String(RUNS / 4)} random histories: a lost ack, a redelivery after ack, a phantom`, () => {
    let mutated = 0;
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 40, size: "max" }), fc.nat(), (cmds, pick) => {
        const events = run(cmds);
        const cfg = { mode: "batch" as const, maxRetries: MAX_RETRIES, dedupWindowMs: WINDOW_MS };
        const final = events.at(-1) as EvOf<"final">;
        const ended = new Set([...final.dlq.map((e) => e.id), ...final.expired.map((e) => e.id)]);
        // Ids created by a settled enqueue, acked, and not also dead-lettered or expired.
        const created = new Set(events.flatMap((e) => (e.k === "enq.ok" ? e.results.filter((r) => r.result === "created").map((r) => r.id) : [])));
        const okAcks = new Set(events.flatMap((e) => (e.k === "ack.ok" ? [e.aop] : [])));
        const ackedReceipts = new Map(events.flatMap((e) => (e.k === "ack.invoke" && okAcks.has(e.aop) ? e.receipts.map((r) => [r, e.aop] as const) : [])));
        const candidates = events.flatMap((e) => (e.k === "recv.ok" ? e.d.filter((d) => created.has(d.id) && !ended.has(d.id) && ackedReceipts.has(d.receipt)) : []));
        const victim = candidates[pick % Math.max(1, candidates.length)];
        if (victim === undefined) return;
        mutated++;
        // 1. Every delivery of the id vanishes: the acknowledged enqueue is lost.
        const gone = new Set(events.flatMap((e) => (e.k === "recv.ok" ? e.d.filter((d) => d.id === victim.id).map((d) => d.receipt) : [])));
        const lost = events.map((e): Ev => {
          if (e.k === "recv.ok") return { ...e, d: e.d.filter((d) => d.id !== victim.id) };
          if (e.k === "ack.invoke") return { ...e, receipts: e.receipts.filter((r) => !gone.has(r)) };
          return e;
        });
        expect(checkHistory(lost, cfg).counts.lost).toBeGreaterThanOrEqual(1);
        // 2. The id comes back after its ack completed.
        const ackOk = events.find((e) => e.k === "ack.ok" && e.aop === ackedReceipts.get(victim.receipt)) as Ev;
        const again: Ev[] = [
          { k: "recv.invoke", t: ackOk.t + 1n, rop: "rX", consumer: "cX", queue: "q0" },
          { k: "recv.ok", t: ackOk.t + 2n, rop: "rX", d: [{ ...victim, receipt: "rcX", attempt: victim.attempt + 1 }] },
        ];
        const redelivered = checkHistory(sortByT([...events, ...again]), cfg);
        expect(redelivered.counts.redeliveredAfterAck).toBeGreaterThanOrEqual(1);
        // 3. A delivery no one enqueued.
        const phantom: Ev[] = [
          { k: "recv.invoke", t: ackOk.t + 1n, rop: "rP", consumer: "cX", queue: "q0" },
          { k: "recv.ok", t: ackOk.t + 2n, rop: "rP", d: [{ ...victim, id: "mP", tok: "p:none", receipt: "rcP" }] },
        ];
        expect(checkHistory(sortByT([...events, ...phantom]), cfg).counts.phantom).toBe(1);
      }),
      { numRuns: RUNS / 4 },
    );
    expect(mutated).toBeGreaterThan(RUNS / 8);
  });

  it(`accepts ${String(RUNS / 4)} strict histories (one consumer, max = 1, no failures) with order checks on`, () => {
    const strictCmd: fc.Arbitrary<{ enqueue: boolean; prio: number; batch: number; wait: number }> = fc.record({
      enqueue: fc.boolean(),
      prio: fc.integer({ min: 0, max: 3 }),
      batch: fc.integer({ min: 1, max: 3 }),
      wait: fc.integer({ min: 0, max: 5 }),
    });
    fc.assert(
      fc.property(fc.array(strictCmd, { minLength: 1, maxLength: 40 }), (cmds) => {
        const m = new ReferenceModel({ maxRetries: MAX_RETRIES });
        for (const x of cmds) {
          if (x.enqueue) m.enqueue("q0", Array.from({ length: x.batch }, () => ({ prio: x.prio })));
          else {
            const got = m.receive("c1", "q0", 1, 1_000);
            if (got.length > 0) m.ack(got.map((d) => d.receipt));
          }
          m.advance(x.wait);
        }
        const report = checkHistory(m.drain(["q0"]), { mode: "always", maxRetries: MAX_RETRIES, strict: true });
        expect(report.valid, formatHistoryReport(report)).toBe(true);
      }),
      { numRuns: RUNS / 4 },
    );
  });

  it("the strict checks can fail: a swapped pair of deliveries is a reorder", () => {
    const m = new ReferenceModel({ maxRetries: MAX_RETRIES });
    const [a = ""] = m.enqueue("q0", [{}]);
    const [b = ""] = m.enqueue("q0", [{}]);
    for (let i = 0; i < 2; i++) {
      const got = m.receive("c1", "q0", 1, 1_000);
      m.ack(got.map((d) => d.receipt));
    }
    const swapped = m.drain(["q0"]).map((e): Ev => (e.k === "recv.ok" && e.d[0] !== undefined ? { ...e, d: [{ ...e.d[0], tok: e.d[0].tok === a ? b : a, id: e.d[0].tok === a ? "m000002" : "m000001" }] } : e));
    const report = checkHistory(swapped, { mode: "always", maxRetries: MAX_RETRIES, strict: true });
    expect(report.counts.reorder).toBe(1);
    expect(report.valid).toBe(false);
    expect(checkHistory(swapped, { mode: "always", maxRetries: MAX_RETRIES }).valid).toBe(true);
  });

  it("the strict checks can fail: a low-priority delivery while a high one waits is an inversion", () => {
    const m = new ReferenceModel({ maxRetries: MAX_RETRIES });
    m.enqueue("q0", [{ prio: 0 }]);
    m.enqueue("q0", [{ prio: 5 }]);
    const events = m.events;
    // Hand the low one out first: rewrite the model's (correct) choice.
    const got = m.receive("c1", "q0", 1, 1_000);
    m.ack(got.map((d) => d.receipt));
    const got2 = m.receive("c1", "q0", 1, 1_000);
    m.ack(got2.map((d) => d.receipt));
    const swapped = m.drain(["q0"]).map((e): Ev => {
      if (e.k !== "recv.ok" || e.d[0] === undefined) return e;
      const d = e.d[0];
      return { ...e, d: [{ ...d, id: d.id === "m000001" ? "m000002" : "m000001", tok: d.tok === "p:1" ? "p:2" : "p:1" }] };
    });
    expect(events.length).toBeGreaterThan(0);
    const report = checkHistory(swapped, { mode: "always", maxRetries: MAX_RETRIES, strict: true });
    expect(report.counts.priorityInversion).toBe(1);
    expect(report.valid).toBe(false);
  });
});

function sortByT(events: Ev[]): Ev[] {
  return events.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
}
