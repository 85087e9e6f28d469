import { type AckOp, type EnqOp, type HistoryIndex, type TokRec } from "./history-index";
import { forgettingCrash } from "./timeline";
import type { Terminal } from "./check-terminal";
import type { ReportBuilder } from "./report";

/**
 * PARTIAL BATCH (an enqueue batch applied in part) and PARTIAL ACK+PUBLISH
 * (an ack whose published messages did not share its fate). A token is "seen"
 * when a delivery or the final listing names it; a keyed token may be hidden
 * legitimately (replaced or dropped by a later enqueue), so only unkeyed
 * tokens count as surely absent.
 */
export function checkBatches(h: HistoryIndex, r: ReportBuilder, terminalOf: (id: string) => Terminal | undefined): void {
  const seen = seenTokens(h);
  const hideable = (tok: TokRec): boolean => tok.item.key !== undefined || (h.final?.purged.length ?? 0) > 0;
  if (h.final !== undefined) for (const op of h.enqOps) checkEnqueueBatch(h, r, op, seen, hideable, terminalOf);
  for (const op of h.ackOps) checkAckPublish(h, r, op, seen, hideable);
}

// ---------------------------------------------------------------------------

function checkEnqueueBatch(
  h: HistoryIndex,
  r: ReportBuilder,
  op: EnqOp,
  seen: ReadonlySet<string>,
  hideable: (tok: TokRec) => boolean,
  terminalOf: (id: string) => Terminal | undefined,
): void {
  const toks = op.invoke.items.map((i) => h.toks.get(i.tok)).filter((t): t is TokRec => t?.enq === op);
  if (toks.length < 2 || op.settle?.k === "enq.fail") return;
  if (forgettingCrash(h, op.invoke.t, op.settle?.t ?? op.invoke.t) !== undefined) return;
  const evs = [op.invoke, op.settle, h.final];
  if (op.settle?.k === "enq.ok") {
    const done = toks.filter((t) => t.results.every((x) => terminalOf(x.id) !== undefined));
    const missing = toks.find((t) => !done.includes(t));
    if (done.length > 0 && missing !== undefined) r.add("partialBatch", `batch ${op.invoke.op}: ${String(done.length)} of ${String(toks.length)} tokens reached a terminal state, ${missing.tok} did not`, evs);
    return;
  }
  const present = toks.find((t) => seen.has(t.tok));
  const absent = toks.find((t) => !seen.has(t.tok) && !hideable(t));
  if (present !== undefined && absent !== undefined) {
    r.add("partialBatch", `indeterminate batch ${op.invoke.op}: ${present.tok} was delivered but ${absent.tok} never appeared`, [...evs, ...present.deliveries.slice(0, 1).flatMap((d) => [d.invoke, d.ok])]);
  }
}

function checkAckPublish(h: HistoryIndex, r: ReportBuilder, op: AckOp, seen: ReadonlySet<string>, hideable: (tok: TokRec) => boolean): void {
  const toks = (op.invoke.publish ?? []).map((i) => h.toks.get(i.tok)).filter((t): t is TokRec => t?.ack === op);
  if (toks.length === 0 || op.settle?.k === "ack.fail") return; // deliveries of failed publishes are flagged per delivery
  if (forgettingCrash(h, op.invoke.t, op.settle?.t ?? op.invoke.t) !== undefined) return;
  const evs = [op.invoke, op.settle];
  const present = toks.find((t) => seen.has(t.tok));
  const absent = toks.find((t) => !seen.has(t.tok) && !hideable(t));
  if (op.settle?.k === "ack.ok") {
    if (absent !== undefined && h.final !== undefined) r.add("partialAckPublish", `ack ${op.invoke.aop} succeeded but its published token ${absent.tok} never appeared`, [...evs, h.final]);
    return;
  }
  if (present === undefined) return;
  if (absent !== undefined && h.final !== undefined) {
    r.add("partialAckPublish", `indeterminate ack ${op.invoke.aop}: published ${present.tok} appeared but ${absent.tok} never did`, [...evs, h.final]);
    return;
  }
  // The publish took effect, so the ack did too: the acked messages must not come back.
  for (const del of op.dels) {
    const again = h.ids.get(del.d.id)?.deliveries.find((x) => x.ok.t > del.ok.t && x.ok.t > op.invoke.t);
    if (again !== undefined) {
      r.add("partialAckPublish", `indeterminate ack ${op.invoke.aop}: its publish took effect but ${del.d.id} was delivered again`, [...evs, del.ok, again.invoke, again.ok]);
      return;
    }
  }
}

function seenTokens(h: HistoryIndex): Set<string> {
  const seen = new Set<string>();
  for (const del of h.deliveries) seen.add(del.d.tok);
  for (const e of h.final?.dlq ?? []) seen.add(e.tok);
  for (const e of h.final?.expired ?? []) seen.add(e.tok);
  return seen;
}
