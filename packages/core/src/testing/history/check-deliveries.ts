import { ms, type DelRec, type HistoryIndex, type IdRec, type TokRec } from "./history-index";
import { crashBetween, earliestExpiry, forgettingCrash, mayHaveApplied, surelyHeldUntil } from "./timeline";
import type { ReportBuilder } from "./report";

/**
 * Per-delivery and per-id checks: PHANTOM / RECOVERED, DUPLICATE DELIVERY and
 * its explanations (SPURIOUS REDELIVERY, LEASE OVERLAP), REDELIVERED AFTER ACK,
 * DOUBLE ACK (including a stale receipt whose ack succeeded), ATTEMPTS and EARLY / LATE.
 */
export function checkDeliveries(h: HistoryIndex, r: ReportBuilder): void {
  const bounds = versionBounds(h);
  const recovered = new Set<string>();
  for (const del of h.deliveries) checkOrigin(h, r, del, bounds, recovered);
  for (const rec of h.ids.values()) {
    checkSequence(h, r, rec);
    checkDoubleAck(h, r, rec);
  }
}

// ---------------------------------------------------------------------------

function checkOrigin(h: HistoryIndex, r: ReportBuilder, del: DelRec, bounds: (id: string) => number, recovered: Set<string>): void {
  const { d } = del;
  const tok = h.toks.get(d.tok);
  const evs = [del.invoke, del.ok];
  if (tok === undefined) return r.add("phantom", `delivery of ${d.id} carries token ${d.tok} that no one enqueued`, evs);
  const origin = [tok.enq?.invoke, tok.enq?.settle, tok.ack?.invoke, tok.ack?.settle];
  if (tok.status === "failed") {
    if (tok.source === "publish") return r.add("partialAckPublish", `token ${d.tok} published by a failed ack was delivered`, [...origin, ...evs]);
    return r.add("phantom", `token ${d.tok} whose enqueue definitely failed was delivered`, [...origin, ...evs]);
  }
  if (tok.status === "duplicate") return r.add("phantom", `token ${d.tok} was dropped as a duplicate but delivered`, [...origin, ...evs]);
  if (tok.results.length > 0) {
    const res = tok.results.find((x) => x.id === d.id);
    if (res === undefined) return r.add("phantom", `token ${d.tok} was stored as ${tok.results.map((x) => x.id).join(",")} but delivered as ${d.id}`, [...origin, ...evs]);
    if (res.version !== d.version) return r.add("phantom", `token ${d.tok} was stored at version ${String(res.version)} but delivered at ${String(d.version)}`, [...origin, ...evs]);
  }
  if (d.version > bounds(d.id)) return r.add("phantom", `${d.id} delivered at version ${String(d.version)}, above any version an enqueue produced`, [...origin, ...evs]);
  if (tok.status === "indet" && !recovered.has(tok.tok)) {
    recovered.add(tok.tok);
    r.add("recovered", `token ${d.tok} with an indeterminate enqueue was delivered`, [...origin, ...evs]);
  }
}

function checkSequence(h: HistoryIndex, r: ReportBuilder, rec: IdRec): void {
  const ds = rec.deliveries;
  const maxAttempt = h.cfg.maxRetries + 1;
  const firstAck = firstAckOk(rec);
  const soleTok = rec.toks.size === 1 ? [...rec.toks][0] : undefined;
  ds.forEach((cur, i) => {
    const evs = [cur.invoke, cur.ok];
    if (cur.d.attempt < 1 || cur.d.attempt > maxAttempt) r.add("attempts", `${rec.id} delivered with attempt ${String(cur.d.attempt)} (allowed 1..${String(maxAttempt)})`, evs);
    checkTiming(h, r, cur, i === 0 ? soleTok : undefined, ds[i - 1]);
    if (firstAck !== undefined && cur.invoke.t > firstAck.settle.t) {
      const forgot = forgettingCrash(h, firstAck.invoke.t, firstAck.settle.t, cur.invoke.t);
      if (forgot === undefined) {
        // The ack is the cause; the lease checks below would only restate it.
        r.add("redeliveredAfterAck", `${rec.id} received again after its ack completed`, [firstAck.invoke, firstAck.settle, ...evs]);
        return;
      }
    }
    const prev = ds[i - 1];
    if (prev === undefined) return;
    r.add("duplicateDelivery", `${rec.id} delivered ${String(i + 1)} times`, [prev.ok, cur.ok]);
    if (cur.d.attempt <= prev.d.attempt && forgettingCrash(h, prev.invoke.t, prev.ok.t, cur.invoke.t) === undefined && !replacedBetween(rec, prev, cur)) {
      r.add("attempts", `${rec.id} attempt went from ${String(prev.d.attempt)} to ${String(cur.d.attempt)}`, [prev.invoke, prev.ok, ...evs]);
    }
    const held = ds.slice(0, i).find((e) => cur.ok.t < surelyHeldUntil(h, e));
    if (held !== undefined) {
      r.add("leaseOverlap", `${rec.id} leased to ${cur.invoke.consumer} while ${held.invoke.consumer}'s lease (receipt ${held.d.receipt}) was still alive`, [
        held.invoke,
        held.ok,
        ...held.exts.map((x) => x.settle),
        ...evs,
      ]);
    } else if (!explained(h, prev, cur)) {
      r.add("spuriousRedelivery", `${rec.id} delivered again with no expiry, nack, crash or disconnect to explain it`, [
        prev.invoke,
        prev.ok,
        ...prev.acks.flatMap((a) => [a.invoke, a.settle]),
        ...evs,
      ]);
    }
  });
}

// A redelivery is explained when the earlier lease may have ended before the later grant.
function explained(h: HistoryIndex, prev: DelRec, cur: DelRec): boolean {
  if (cur.ok.t + h.eps >= earliestExpiry(prev)) return true;
  if (prev.nacks.some((n) => mayHaveApplied(n) && n.invoke.t < cur.ok.t)) return true;
  if (crashBetween(h, prev.invoke.t, cur.ok.t) !== undefined) return true;
  return h.disconnects.get(prev.invoke.consumer)?.some((t) => t > prev.invoke.t && t < cur.ok.t) === true;
}

function checkTiming(h: HistoryIndex, r: ReportBuilder, cur: DelRec, soleTok: TokRec | undefined, prev: DelRec | undefined): void {
  const evs = [cur.invoke, cur.ok];
  const { d } = cur;
  // Only a token that surely created the message set its delay (a replace keeps the message's schedule).
  if (soleTok !== undefined && (soleTok.item.key === undefined || soleTok.results.some((x) => x.result === "created"))) {
    const sent = soleTok.enq?.invoke ?? soleTok.ack?.invoke;
    const delay = soleTok.item.delayMs ?? 0;
    if (sent !== undefined && delay > 0 && cur.ok.t + h.eps < sent.t + ms(delay)) r.add("early", `${d.id} delivered before its ${String(delay)} ms delay`, [sent, ...evs]);
  }
  const tok = h.toks.get(d.tok);
  const ttl = tok?.item.ttlMs;
  const settled = tok?.enq?.settle;
  const single = h.ids.get(d.id)?.toks.size === 1 && tok?.results.some((x) => x.result === "created") === true;
  if (ttl !== undefined && single && settled?.k === "enq.ok" && cur.invoke.t > settled.t + ms(ttl) + h.eps) {
    r.add("late", `${d.id} received after its ${String(ttl)} ms TTL had passed`, [tok?.enq?.invoke, settled, ...evs]);
  }
  const nack = prev?.nacks.find((n) => n.settle?.k === "nack.ok" && (n.invoke.delayMs ?? 0) > 0);
  if (nack !== undefined && crashBetween(h, nack.invoke.t, cur.ok.t) === undefined && cur.ok.t + h.eps < nack.invoke.t + ms(nack.invoke.delayMs ?? 0)) {
    r.add("early", `${d.id} redelivered before its nack delay`, [nack.invoke, nack.settle, ...evs]);
  }
  if (h.cfg.wallClockJumps) return;
  if (d.availableAt !== undefined && cur.ok.wall !== undefined && d.availableAt > cur.ok.wall + h.cfg.epsMs) {
    r.add("early", `${d.id} delivered at wall ${String(cur.ok.wall)} before availableAt ${String(d.availableAt)}`, evs);
  }
  if (d.expiresAt !== undefined && cur.invoke.wall !== undefined && d.expiresAt < cur.invoke.wall - h.cfg.epsMs) {
    r.add("late", `${d.id} received at wall ${String(cur.invoke.wall)} after expiresAt ${String(d.expiresAt)}`, evs);
  }
}

function checkDoubleAck(h: HistoryIndex, r: ReportBuilder, rec: IdRec): void {
  const acked = rec.deliveries.filter((del) => del.acks.some((a) => a.settle?.k === "ack.ok"));
  const first = acked[0];
  if (first === undefined) return;
  const firstOk = first.acks.find((a) => a.settle?.k === "ack.ok");
  // Fencing: an ack invoked after a newer lease of the same id was granted must fail.
  for (const del of acked) {
    for (const ack of del.acks) {
      if (ack.settle?.k !== "ack.ok") continue;
      const newer = rec.deliveries.find((x) => x !== del && x.ok.t > del.ok.t && x.ok.t < ack.invoke.t);
      if (newer !== undefined) {
        return r.add("doubleAck", `${rec.id}: ack of superseded receipt ${del.d.receipt} succeeded`, [del.ok, newer.invoke, newer.ok, ack.invoke, ack.settle]);
      }
    }
  }
  const second = acked[1];
  if (second === undefined || firstOk?.settle === undefined) return;
  if (forgettingCrash(h, firstOk.invoke.t, firstOk.settle.t, second.invoke.t) !== undefined) return;
  const secondOk = second.acks.find((a) => a.settle?.k === "ack.ok");
  r.add("doubleAck", `${rec.id} acked through two receipts (${first.d.receipt}, ${second.d.receipt})`, [
    first.ok,
    firstOk.invoke,
    firstOk.settle,
    second.ok,
    secondOk?.invoke,
    secondOk?.settle,
  ]);
}

function firstAckOk(rec: IdRec): { invoke: DelRec["acks"][number]["invoke"]; settle: NonNullable<DelRec["acks"][number]["settle"]> } | undefined {
  let best: ReturnType<typeof firstAckOk>;
  for (const del of rec.deliveries) {
    for (const ack of del.acks) {
      if (ack.settle?.k === "ack.ok" && (best === undefined || ack.settle.t < best.settle.t)) best = { invoke: ack.invoke, settle: ack.settle };
    }
  }
  return best;
}

// A replace may reset the attempt count of a ready message.
function replacedBetween(rec: IdRec, prev: DelRec, cur: DelRec): boolean {
  return rec.results.some((x) => x.r.result === "replaced" && x.op.invoke.t < cur.invoke.t && (x.op.settle?.t ?? 0n) > prev.invoke.t);
}

// Highest version an id could have reached: its highest settled version plus one per
// same-key token whose outcome is unknown (each could have replaced it once more).
function versionBounds(h: HistoryIndex): (id: string) => number {
  const unknownPerKey = new Map<string, number>();
  for (const tok of h.toks.values()) {
    if (tok.item.key === undefined || tok.results.length > 0 || tok.status === "failed") continue;
    const k = `${tok.queue}\u0000${tok.item.key}`;
    unknownPerKey.set(k, (unknownPerKey.get(k) ?? 0) + 1);
  }
  return (id) => {
    const rec = h.ids.get(id);
    if (rec === undefined) return 1;
    let known = 1;
    for (const x of rec.results) known = Math.max(known, x.r.version);
    const keyed = [...rec.toks].find((t) => t.item.key !== undefined);
    if (keyed?.item.key === undefined) return known;
    return known + (unknownPerKey.get(`${keyed.queue}\u0000${keyed.item.key}`) ?? 0);
  };
}
