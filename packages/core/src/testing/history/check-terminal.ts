import type { Ev, EvOf } from "./events";
import { ms, type AckOp, type HistoryIndex, type IdRec, type TokRec } from "./history-index";
import { forgettingCrash, mayHaveApplied } from "./timeline";
import type { ReportBuilder } from "./report";

/** How an id ended after the drain, or undefined when it never did. */
export interface Terminal {
  readonly kind: "acked" | "dlq" | "expired" | "purged";
  /** The version that ended, when it is sure (a definite ack, or the dead letter). */
  readonly version?: number;
  readonly events: readonly Ev[];
}

/** Terminal state of every id (after the drain); an `expired` entry counts only if its TTL could have passed. */
export function terminals(h: HistoryIndex): (id: string) => Terminal | undefined {
  const final = h.final;
  const dlq = new Map(final?.dlq.map((e) => [e.id, e]) ?? []);
  const expired = new Map(final?.expired.map((e) => [e.id, e]) ?? []);
  const purged = new Set(final?.purged ?? []);
  return (id) => {
    const rec = h.ids.get(id);
    const acked = (sure: boolean): Terminal | undefined => {
      // A sure ack completed and no crash the durability mode allows could have undone it.
      const counts = (a: AckOp): boolean =>
        sure ? a.settle?.k === "ack.ok" && forgettingCrash(h, a.invoke.t, a.settle.t) === undefined : mayHaveApplied(a);
      const dels = rec?.deliveries.filter((del) => del.acks.some(counts)) ?? [];
      if (dels.length === 0) return undefined;
      const best = dels.reduce((a, b) => (b.d.version > a.d.version ? b : a));
      const events = [best.ok, ...best.acks.flatMap((a): Ev[] => (a.settle === undefined ? [a.invoke] : [a.invoke, a.settle]))];
      // An ack of unknown outcome proves nothing about versions: the message may have lived on.
      return sure ? { kind: "acked", version: best.d.version, events } : { kind: "acked", events };
    };
    const sure = acked(true);
    if (sure !== undefined) return sure;
    const dead = dlq.get(id);
    if (dead !== undefined && final !== undefined) return { kind: "dlq", version: dead.version, events: [final] };
    const gone = expired.get(id);
    if (gone !== undefined && final !== undefined && ttlPassed(h, id, gone.tok, final)) return { kind: "expired", events: [final] };
    if (purged.has(id) && final !== undefined) return { kind: "purged", events: [final] };
    return acked(false);
  };
}

/**
 * LOST (an acknowledged enqueue whose id never reached a terminal state),
 * LOST UPDATE (an acked or dead-lettered version below the highest acknowledged
 * replace, or a stale version delivered after a replace completed), ATTEMPTS
 * on dead letters and DLQ AND ACKED. Skipped without a `final` event.
 */
export function checkTerminal(h: HistoryIndex, r: ReportBuilder): void {
  const terminalOf = terminals(h);
  for (const rec of h.ids.values()) checkLostUpdate(h, r, rec, terminalOf(rec.id));
  const final = h.final;
  if (final === undefined) {
    r.note("no `final` event: LOST, PARTIAL BATCH and dead-letter checks skipped (run a drain and log `final`)");
    return;
  }
  for (const rec of h.ids.values()) {
    const first = rec.results.find((x) => x.tok.status === "acked" || x.tok.status === "duplicate") ?? undefined;
    const publishTok = [...rec.toks].find((t) => t.source === "publish" && t.status === "acked");
    if (first === undefined && publishTok === undefined) continue;
    if (terminalOf(rec.id) !== undefined) continue;
    const invokeT = first?.op.invoke.t ?? publishTok?.ack?.invoke.t ?? 0n;
    const settleT = first?.op.settle?.t ?? publishTok?.ack?.settle?.t ?? invokeT;
    const forgot = forgettingCrash(h, invokeT, settleT);
    const evs = [first?.op.invoke, first?.op.settle, publishTok?.ack?.invoke, publishTok?.ack?.settle, forgot, final];
    if (forgot !== undefined) r.add("allowedLoss", `${rec.id} vanished in a crash the ${h.cfg.mode} durability mode allows to lose`, evs);
    else r.add("lost", `${rec.id} (token ${first?.tok.tok ?? publishTok?.tok ?? "?"}) was acknowledged but never acked, dead-lettered, expired or purged`, evs);
  }
  checkDeadLetters(h, r, final);
}

// ---------------------------------------------------------------------------

function checkLostUpdate(h: HistoryIndex, r: ReportBuilder, rec: IdRec, term: Terminal | undefined): void {
  const written = rec.results.filter((x) => x.r.result !== "duplicate");
  if (written.length === 0) return;
  const top = written.reduce((a, b) => (b.r.version > a.r.version ? b : a));
  const forgot = forgettingCrash(h, top.op.invoke.t, top.op.settle?.t ?? top.op.invoke.t) !== undefined;
  if (!forgot && term?.version !== undefined && term.version < top.r.version) {
    const what = term.kind === "acked" ? "acked" : "dead-lettered";
    return r.add("lostUpdate", `${rec.id} ${what} at version ${String(term.version)} but version ${String(top.r.version)} was acknowledged`, [top.op.invoke, top.op.settle, ...term.events]);
  }
  // Replace only applies while ready, so every delivery that starts after a replace completed carries at least its version.
  for (const del of rec.deliveries) {
    const done = written.filter((x) => x.r.result === "replaced" && x.op.settle !== undefined && x.op.settle.t < del.invoke.t);
    const need = done.reduce((a, b) => (b.r.version > (a?.r.version ?? 0) ? b : a), done[0]);
    if (need === undefined || del.d.version >= need.r.version) continue;
    if (forgettingCrash(h, need.op.invoke.t, need.op.settle?.t ?? need.op.invoke.t, del.invoke.t) !== undefined) continue;
    return r.add("lostUpdate", `${rec.id} delivered at version ${String(del.d.version)} after version ${String(need.r.version)} was acknowledged`, [need.op.invoke, need.op.settle, del.invoke, del.ok]);
  }
}

function checkDeadLetters(h: HistoryIndex, r: ReportBuilder, final: EvOf<"final">): void {
  const maxAttempt = h.cfg.maxRetries + 1;
  for (const entry of final.dlq) {
    const rec = h.ids.get(entry.id);
    const tok = h.toks.get(entry.tok);
    if (tok === undefined) r.add("phantom", `dead letter ${entry.id} carries token ${entry.tok} that no one enqueued`, [final]);
    if (entry.reason === "") r.add("attempts", `dead letter ${entry.id} has no reason`, [final]);
    if (entry.attempts > maxAttempt) r.add("attempts", `dead letter ${entry.id} used ${String(entry.attempts)} attempts (max ${String(maxAttempt)})`, [final]);
    const last = rec?.deliveries.at(-1);
    if (last !== undefined && entry.attempts < last.d.attempt && forgettingCrash(h, last.invoke.t, last.ok.t) === undefined) {
      r.add("attempts", `dead letter ${entry.id} says ${String(entry.attempts)} attempts but attempt ${String(last.d.attempt)} was delivered`, [last.invoke, last.ok, final]);
    }
    const acked = rec?.deliveries.flatMap((del) => del.acks.filter((a) => a.settle?.k === "ack.ok")).at(0);
    if (acked?.settle !== undefined && forgettingCrash(h, acked.invoke.t, acked.settle.t) === undefined) {
      r.add("dlqAndAcked", `${entry.id} was acked and is also dead-lettered`, [acked.invoke, acked.settle, final]);
    }
  }
}

function ttlPassed(h: HistoryIndex, id: string, tokId: string, final: EvOf<"final">): boolean {
  const candidates = new Set<TokRec>(h.ids.get(id)?.toks ?? []);
  const named = h.toks.get(tokId);
  if (named !== undefined) candidates.add(named);
  for (const tok of candidates) {
    const sent = tok.enq?.invoke ?? tok.ack?.invoke;
    const ttl = tok.item.ttlMs;
    if (sent !== undefined && ttl !== undefined && final.t + h.eps >= sent.t + ms(ttl)) return true;
  }
  return false;
}
