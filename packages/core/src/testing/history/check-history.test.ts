import { describe, expect, it } from "vitest";
import { ReferenceModel } from "./_reference-model";
import { checkHistory } from "./check-history";
import type { Ev, EvDelivered, EvOf } from "./events";
import type { CheckHistoryConfig } from "./history-index";
import { formatHistoryReport, type HistoryClass, type HistoryReport } from "./report";

const CFG: CheckHistoryConfig = { mode: "batch", maxRetries: 3, dedupWindowMs: 1_000 };

interface Clean {
  readonly events: Ev[];
  /** Tokens by role in the script. */
  readonly tok: Record<"a" | "b" | "c" | "g" | "f" | "i" | "d" | "e", string>;
}

// One scripted run touching batches, replace, drop, expiry redelivery, a fenced ack, ack+publish, a failed and an indeterminate enqueue.
function cleanHistory(): Clean {
  const m = new ReferenceModel({ maxRetries: 3, dedupWindowMs: 1_000, dropQueues: ["q1"] });
  const [a = "", b = ""] = m.enqueue("q0", [{}, { key: "k1" }]);
  const [c = ""] = m.enqueue("q0", [{ key: "k1" }]); // replaces b's message: version 2
  const [g = ""] = m.enqueue("q0", [{ prio: 1 }]);
  const [f = ""] = m.enqueue("q0", [{}], "fail");
  const [i = ""] = m.enqueue("q0", [{}], "info-dropped");
  m.advance(2);
  const first = m.receive("c1", "q0", 3, 100);
  const byTok = (t: string): EvDelivered => first.find((d) => d.tok === t) ?? expect.fail(`no delivery of ${t}`);
  m.ack([byTok(g).receipt]);
  m.ack([byTok(a).receipt]);
  m.advance(150); // c's lease runs out
  const again = m.receive("c2", "q0", 1, 100);
  m.ack([byTok(c).receipt]); // fenced: LeaseLostError
  m.ack(again.map((d) => d.receipt));
  const [d = ""] = m.enqueue("q1", [{ key: "k2" }]);
  const [e = ""] = m.enqueue("q1", [{ key: "k2" }]); // duplicate
  const got = m.receive("c1", "q1", 1, 100);
  m.ack(
    got.map((x) => x.receipt),
    [{ queue: "q0" }, { queue: "q0" }],
  );
  return { events: m.drain(), tok: { a, b, c, g, f, i, d, e } };
}

function check(events: readonly Ev[], cfg: CheckHistoryConfig = CFG): HistoryReport {
  return checkHistory(events, cfg);
}

function nonZero(report: HistoryReport, allowedToo = false): Partial<Record<HistoryClass, number>> {
  const skip = new Set<HistoryClass>(allowedToo ? [] : ["duplicateDelivery", "recovered", "allowedLoss"]);
  return Object.fromEntries(Object.entries(report.counts).filter(([k, v]) => v > 0 && !skip.has(k as HistoryClass)));
}

function deliveriesOf(events: readonly Ev[], tok: string): { ev: EvOf<"recv.ok">; d: EvDelivered }[] {
  return events.flatMap((ev) => (ev.k === "recv.ok" ? ev.d.filter((d) => d.tok === tok).map((d) => ({ ev, d })) : []));
}

function nth<T>(list: readonly T[], i: number): T {
  return list[i] ?? expect.fail(`missing element ${String(i)}`);
}

function sorted(events: Ev[]): Ev[] {
  return events.sort((x, y) => (x.t < y.t ? -1 : x.t > y.t ? 1 : 0));
}

// A receive of `d` by `consumer`, placed just after `anchor`.
function deliveryAfter(anchor: Ev, d: EvDelivered, rop: string, consumer = "cx"): Ev[] {
  return [
    { k: "recv.invoke", t: anchor.t + 1n, rop, consumer, queue: "q0" },
    { k: "recv.ok", t: anchor.t + 2n, rop, d: [d] },
  ];
}

// Removes every delivery of `tok` and the receipts of those deliveries from acks.
function withoutDeliveries(events: readonly Ev[], tok: string): Ev[] {
  const gone = new Set(deliveriesOf(events, tok).map((x) => x.d.receipt));
  return events.map((ev) => {
    if (ev.k === "recv.ok") return { ...ev, d: ev.d.filter((d) => d.tok !== tok) };
    if (ev.k === "ack.invoke") return { ...ev, receipts: ev.receipts.filter((r) => !gone.has(r)) };
    return ev;
  });
}

describe("checkHistory on a clean scripted history", () => {
  const clean = cleanHistory();

  it("is valid, with the expected allowed findings", () => {
    const report = check(clean.events);
    expect(report.valid, formatHistoryReport(report)).toBe(true);
    expect(nonZero(report, true)).toEqual({ duplicateDelivery: 1 });
    expect(report.totals.deliveries).toBeGreaterThanOrEqual(6);
  });

  it("mutation: deleting the deliveries of an acked token gives lost = 1", () => {
    const report = check(withoutDeliveries(clean.events, clean.tok.g));
    expect(report.valid).toBe(false);
    expect(nonZero(report)).toEqual({ lost: 1 });
    expect(formatHistoryReport(report)).toMatch(/VIOLATION lost x1: .*token p:/);
  });

  it("mutation: a delivery with an unknown token gives phantom = 1", () => {
    const anchor = clean.events.find((e) => e.k === "restart" || e.k === "final") ?? expect.fail("no anchor");
    const d: EvDelivered = { id: "m999999", tok: "p:nobody", version: 1, attempt: 1, receipt: "rcX", leaseMs: 100 };
    const report = check(sorted([...clean.events, ...deliveryAfter(anchor, d, "rX")]));
    expect(nonZero(report)).toEqual({ phantom: 1 });
  });

  it("mutation: a delivery after the ack completed gives redeliveredAfterAck = 1", () => {
    const { d } = nth(deliveriesOf(clean.events, clean.tok.a), 0);
    const ackInvoke = clean.events.find((e) => e.k === "ack.invoke" && e.receipts.includes(d.receipt)) as EvOf<"ack.invoke">;
    const ackOk = clean.events.find((e) => e.k === "ack.ok" && e.aop === ackInvoke.aop) ?? expect.fail("no ack.ok");
    const report = check(sorted([...clean.events, ...deliveryAfter(ackOk, { ...d, receipt: "rcY", attempt: d.attempt + 1 }, "rY")]));
    expect(nonZero(report)).toEqual({ redeliveredAfterAck: 1 });
    expect(report.violations[0]?.example.events.map((e) => e.k)).toEqual(["ack.invoke", "ack.ok", "recv.invoke", "recv.ok"]);
  });

  it("mutation: moving a redelivery inside the earlier lease gives leaseOverlap = 1", () => {
    const first = nth(deliveriesOf(clean.events, clean.tok.c), 0);
    const second = nth(deliveriesOf(clean.events, clean.tok.c), 1);
    const secondInvoke = clean.events.find((e) => e.k === "recv.invoke" && e.rop === second.ev.rop) as Ev;
    const events = clean.events.map((e) =>
      e === secondInvoke ? { ...e, t: first.ev.t + 10_000_000n } : e === second.ev ? { ...e, t: first.ev.t + 11_000_000n } : e,
    );
    const report = check(sorted(events));
    expect(nonZero(report)).toEqual({ leaseOverlap: 1 });
  });

  it("mutation: dropping one token of a batch gives partialBatch = 1", () => {
    const report = check(withoutDeliveries(clean.events, clean.tok.a));
    expect(report.counts.partialBatch).toBe(1);
    expect(report.counts.lost).toBe(1);
  });

  it("mutation: making the fenced ack succeed gives doubleAck = 1", () => {
    const first = nth(deliveriesOf(clean.events, clean.tok.c), 0);
    const fenced = clean.events.find((e) => e.k === "ack.invoke" && e.receipts.includes(first.d.receipt)) as EvOf<"ack.invoke">;
    const events = clean.events.map((e): Ev => (e.k === "ack.fail" && e.aop === fenced.aop ? { k: "ack.ok", t: e.t, aop: e.aop } : e));
    expect(nonZero(check(events))).toEqual({ doubleAck: 1 });
  });

  it("mutation: downgrading the acked version gives lostUpdate = 1", () => {
    const acked = nth(deliveriesOf(clean.events, clean.tok.c), 1);
    const events = clean.events.map((e): Ev => (e === acked.ev ? { ...acked.ev, d: [{ ...acked.d, tok: clean.tok.b, version: 1 }] } : e));
    expect(nonZero(check(events))).toEqual({ lostUpdate: 1 });
  });

  it("mutation: delivering a definitely failed token gives phantom = 1", () => {
    const anchor = clean.events.find((e) => e.k === "final") ?? expect.fail("no final");
    const d: EvDelivered = { id: "m888888", tok: clean.tok.f, version: 1, attempt: 1, receipt: "rcF", leaseMs: 100 };
    const events = sorted([...clean.events.filter((e) => e !== anchor), ...deliveryAfter({ ...anchor, t: anchor.t - 10n }, d, "rF"), anchor]);
    expect(nonZero(check(events))).toEqual({ phantom: 1 });
  });

  it("mutation: delivering an indeterminate token gives recovered = 1 and stays valid", () => {
    const final = clean.events.find((e) => e.k === "final") ?? expect.fail("no final");
    const d: EvDelivered = { id: "m777777", tok: clean.tok.i, version: 1, attempt: 1, receipt: "rcI", leaseMs: 100 };
    const recv = deliveryAfter({ ...final, t: final.t - 10n }, d, "rI", "drain");
    const ack: Ev[] = [
      { k: "ack.invoke", t: final.t - 7n, aop: "aI", receipts: ["rcI"] },
      { k: "ack.ok", t: final.t - 6n, aop: "aI" },
    ];
    const report = check(sorted([...clean.events, ...recv, ...ack]));
    expect(report.valid, formatHistoryReport(report)).toBe(true);
    expect(report.counts.recovered).toBe(1);
  });

  it("a loss right after the write is allowed in interval mode but lost in batch mode", () => {
    const gOk = clean.events.find((e) => e.k === "enq.ok" && e.results.some((r) => r.tok === clean.tok.g)) as Ev;
    const events = sorted([...withoutDeliveries(clean.events, clean.tok.g), { k: "crash", t: gOk.t + 1_000_000n, gen: 1 }, { k: "restart", t: gOk.t + 2_000_000n, gen: 2 }]);
    expect(nonZero(check(events))).toEqual({ lost: 1 });
    const interval = check(events, { ...CFG, mode: "interval", intervalMs: 10 });
    expect(interval.valid, formatHistoryReport(interval)).toBe(true);
    expect(interval.counts.allowedLoss).toBe(1);
  });

  it("reports settle lines without invokes as malformed", () => {
    const report = check([...clean.events, { k: "enq.ok", t: 1n << 62n, op: "nope", results: [] }]);
    expect(nonZero(report)).toEqual({ malformed: 1 });
  });

  it("skips the terminal checks without a final event and says so", () => {
    const report = check(withoutDeliveries(clean.events, clean.tok.g).filter((e) => e.k !== "final"));
    expect(report.counts.lost).toBe(0);
    expect(report.notes.join(" ")).toMatch(/no `final` event/);
  });
});

describe("checkHistory catches deliberate bugs of the reference model", () => {
  it("acking an old message clears the key's newer entry → dedup", () => {
    const m = new ReferenceModel({ bugs: { ackClearsNewerKey: true } });
    m.enqueue("q0", [{ key: "k" }]);
    const [x] = m.receive("c1", "q0", 1, 1_000);
    m.enqueue("q0", [{ key: "k" }]); // x is in flight: a new message, and k points at it
    m.ack([x?.receipt ?? ""]);
    m.enqueue("q0", [{ key: "k" }]); // must replace the newer message; the bug creates a third
    const report = check(m.drain());
    expect(nonZero(report)).toEqual({ dedup: 1 });
    expect(report.violations[0]?.example.message).toMatch(/still ready, yet the next enqueue created/);
    expect(check(cleanRun((mm) => {
      mm.enqueue("q0", [{ key: "k" }]);
      const [y] = mm.receive("c1", "q0", 1, 1_000);
      mm.enqueue("q0", [{ key: "k" }]);
      mm.ack([y?.receipt ?? ""]);
      mm.enqueue("q0", [{ key: "k" }]);
    })).valid).toBe(true);
  });

  it("replacing a message in flight → dedup and lostUpdate", () => {
    const m = new ReferenceModel({ bugs: { replaceInFlight: true } });
    m.enqueue("q0", [{ key: "k" }]);
    const [x] = m.receive("c1", "q0", 1, 1_000);
    m.enqueue("q0", [{ key: "k" }]);
    m.ack([x?.receipt ?? ""]);
    const report = check(m.drain());
    expect(report.counts.dedup).toBe(1);
    expect(report.counts.lostUpdate).toBe(1);
  });

  it("accepting the ack of a superseded lease → doubleAck", () => {
    const m = new ReferenceModel({ bugs: { noFencing: true } });
    m.enqueue("q0", [{}]);
    const [first] = m.receive("c1", "q0", 1, 10);
    m.advance(20);
    m.receive("c2", "q0", 1, 1_000);
    m.ack([first?.receipt ?? ""]);
    const report = check(m.drain());
    expect(nonZero(report)).toEqual({ doubleAck: 1 });
  });
});

function cleanRun(script: (m: ReferenceModel) => void): Ev[] {
  const m = new ReferenceModel();
  script(m);
  return m.drain();
}

describe("checkHistory: the remaining classes can fail", () => {
  const clean = cleanHistory();

  it("a delay that had not passed → early; a TTL that had → late", () => {
    const m = new ReferenceModel();
    const [tok] = m.enqueue("q0", [{ delayMs: 50, ttlMs: 1_000 }]);
    m.advance(100);
    m.ack(m.receive("c1", "q0", 1, 1_000).map((d) => d.receipt));
    const events = m.drain();
    expect(check(events).valid).toBe(true);
    const edit = (patch: { delayMs?: number; ttlMs?: number }): Ev[] =>
      events.map((e): Ev => (e.k === "enq.invoke" ? { ...e, items: e.items.map((i) => (i.tok === tok ? { ...i, ...patch } : i)) } : e));
    expect(nonZero(check(edit({ delayMs: 500 })))).toEqual({ early: 1 });
    expect(nonZero(check(edit({ ttlMs: 20 })))).toEqual({ late: 1 });
    const wallEarly = events.map((e): Ev => (e.k === "recv.ok" ? { ...e, d: e.d.map((d) => ({ ...d, availableAt: (e.wall ?? 0) + 1_000 })) } : e));
    expect(nonZero(check(wallEarly))).toEqual({ early: 1 });
    expect(check(wallEarly, { ...CFG, wallClockJumps: true }).valid).toBe(true);
  });

  it("an attempt number that does not grow → attempts", () => {
    const second = nth(deliveriesOf(clean.events, clean.tok.c), 1);
    const events = clean.events.map((e): Ev => (e === second.ev ? { ...second.ev, d: [{ ...second.d, attempt: 1 }] } : e));
    expect(nonZero(check(events))).toEqual({ attempts: 1 });
  });

  it("an acked message also listed as dead → dlqAndAcked", () => {
    const g = nth(deliveriesOf(clean.events, clean.tok.g), 0);
    const events = clean.events.map((e): Ev => (e.k === "final" ? { ...e, dlq: [...e.dlq, { id: g.d.id, tok: clean.tok.g, version: 1, reason: "max-retries", attempts: 1 }] } : e));
    expect(nonZero(check(events))).toEqual({ dlqAndAcked: 1 });
  });

  it("a published message that never appears → partialAckPublish", () => {
    const publish = clean.events.find((e): e is EvOf<"ack.invoke"> => e.k === "ack.invoke" && (e.publish?.length ?? 0) > 0);
    const tok = publish?.publish?.[0]?.tok ?? expect.fail("no publish");
    expect(nonZero(check(withoutDeliveries(clean.events, tok)))).toEqual({ partialAckPublish: 1 });
  });

  it("a second create inside the drop window → dedup", () => {
    const events = clean.events.map((e): Ev =>
      e.k === "enq.ok" ? { ...e, results: e.results.map((r) => (r.tok === clean.tok.e ? { ...r, id: "m424242", result: "created" as const } : r)) } : e,
    );
    expect(check(events).counts.dedup).toBe(1);
    expect(check(events, { ...CFG, dedupWindowMs: 0 }).counts.dedup).toBe(0);
  });

  it("a disconnect of the lease holder explains a redelivery inside the lease", () => {
    const first = nth(deliveriesOf(clean.events, clean.tok.c), 0);
    const second = nth(deliveriesOf(clean.events, clean.tok.c), 1);
    const secondInvoke = clean.events.find((e) => e.k === "recv.invoke" && e.rop === second.ev.rop) as Ev;
    const moved = clean.events.map((e) =>
      e === secondInvoke ? { ...e, t: first.ev.t + 10_000_000n } : e === second.ev ? { ...e, t: first.ev.t + 11_000_000n } : e,
    );
    expect(nonZero(check(sorted(moved)))).toEqual({ leaseOverlap: 1 });
    const gone: Ev = { k: "disconnect", t: first.ev.t + 5_000_000n, consumer: "c1" };
    const report = check(sorted([...moved, gone]));
    expect(report.valid, formatHistoryReport(report)).toBe(true);
  });
});
