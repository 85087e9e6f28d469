import type { EvEnqueueResult } from "./events";
import { type EnqOp, type HistoryIndex, type TokRec } from "./history-index";
import { forgettingCrash, surelyHeldUntil } from "./timeline";
import type { ReportBuilder } from "./report";

interface KeyedResult {
  readonly tok: TokRec;
  readonly r: EvEnqueueResult;
  readonly op: EnqOp & { settle: NonNullable<EnqOp["settle"]> };
}

/**
 * DEDUP: in `drop` mode, two `created` results for one key within the window,
 * or a `duplicate` naming an id nobody created; in `replace` mode, a `replaced`
 * result on a message that was surely in flight, a replace that did not bump
 * the version, a create that did not start at version 1, or a result naming an
 * id that carries another key.
 */
export function checkDedup(h: HistoryIndex, r: ReportBuilder): void {
  const known = knownIds(h);
  const byKey = new Map<string, KeyedResult[]>();
  for (const op of h.enqOps) {
    const settle = op.settle;
    if (settle?.k !== "enq.ok") continue;
    for (const res of settle.results) {
      const tok = h.toks.get(res.tok);
      if (tok?.enq !== op) continue;
      const entry: KeyedResult = { tok, r: res, op: { ...op, settle } };
      checkResult(h, r, entry, known);
      if (tok.item.key === undefined) continue;
      const k = `${tok.queue}\u0000${tok.item.key}`;
      const list = byKey.get(k);
      if (list === undefined) byKey.set(k, [entry]);
      else list.push(entry);
    }
  }
  const touches = keyTouches(h);
  for (const [k, list] of byKey) {
    checkKey(h, r, list);
    checkKeyFollowsNewest(h, r, list, touches.get(k) ?? []);
  }
}

// ---------------------------------------------------------------------------

function checkResult(h: HistoryIndex, r: ReportBuilder, x: KeyedResult, known: ReadonlySet<string>): void {
  const evs = [x.op.invoke, x.op.settle];
  // A key re-created while its previous message is in flight continues the key's version (so expectedVersion stays meaningful).
  if (x.r.result === "created" && !(Number.isInteger(x.r.version) && x.r.version >= 1)) r.add("dedup", `${x.r.id} created at version ${String(x.r.version)}, not a version ≥ 1`, evs);
  // The original existed when the duplicate was decided; only a crash after that may have erased it.
  const erasable = forgettingCrash(h, x.op.invoke.t, x.op.settle.t) !== undefined;
  if (x.r.result === "duplicate" && h.final !== undefined && !known.has(x.r.id) && !erasable) r.add("dedup", `duplicate result for token ${x.tok.tok} names ${x.r.id}, which no one created`, evs);
  const rec = h.ids.get(x.r.id);
  const other = rec === undefined ? undefined : [...rec.toks].find((t) => t.item.key !== undefined && x.tok.item.key !== undefined && t.item.key !== x.tok.item.key);
  if (other !== undefined && x.r.result !== "created") r.add("dedup", `token ${x.tok.tok} with key ${String(x.tok.item.key)} landed on ${x.r.id}, which has key ${String(other.item.key)}`, evs);
  if (x.r.result !== "replaced" || rec === undefined) return;
  // Replace applies only while ready or delayed; an in-flight message gets a new id instead.
  const leased = rec.deliveries.find((del) => del.ok.t < x.op.invoke.t && surelyHeldUntil(h, del) > x.op.settle.t);
  if (leased !== undefined) r.add("dedup", `${x.r.id} was replaced while surely in flight (receipt ${leased.d.receipt})`, [leased.invoke, leased.ok, ...evs]);
}

function checkKey(h: HistoryIndex, r: ReportBuilder, list: readonly KeyedResult[]): void {
  const window = h.cfg.dedupWindowMs;
  for (let i = 0; i < list.length; i++) {
    const b = list[i];
    if (b === undefined) continue;
    // Recent results suffice: a violation shows up against the ones just before it.
    for (let j = Math.max(0, i - 64); j < i; j++) {
      const a = list[j];
      // Only ops that did not overlap in time have a known order.
      if (a === undefined || a.op.settle.t >= b.op.invoke.t) continue;
      if (forgettingCrash(h, a.op.invoke.t, a.op.settle.t, b.op.invoke.t) !== undefined) continue;
      const evs = [a.op.invoke, a.op.settle, b.op.invoke, b.op.settle];
      if (b.r.result === "replaced" && a.r.id === b.r.id && b.r.version <= a.r.version) {
        r.add("dedup", `replace of ${b.r.id} returned version ${String(b.r.version)} after version ${String(a.r.version)}`, evs);
      }
      const drop = a.tok.item.mode === "drop" && b.tok.item.mode === "drop";
      if (drop && window !== undefined && a.r.result === "created" && b.r.result === "created" && b.op.settle.t - a.op.invoke.t + h.eps < msBig(window)) {
        r.add("dedup", `key ${String(b.tok.item.key)} created twice (${a.r.id}, ${b.r.id}) within the ${String(window)} ms drop window`, evs);
      }
    }
  }
}

/**
 * Replace mode: after a result put key K on id X, the next enqueue on K must
 * replace X while X is surely still ready (never leased, no blind receive, no
 * TTL, nothing else touching K in between). A `created` result there means K
 * lost track of X, e.g. because acking an older id cleared K's newer entry.
 */
function checkKeyFollowsNewest(h: HistoryIndex, r: ReportBuilder, list: readonly KeyedResult[], touches: readonly bigint[]): void {
  for (let i = 1; i < list.length; i++) {
    const a = list[i - 1];
    const b = list[i];
    if (a === undefined || b === undefined || b.r.result !== "created" || a.r.result === "duplicate") continue;
    if (a.tok.item.mode === "drop" || b.tok.item.mode === "drop" || a.r.id === b.r.id) continue;
    if (a.op.settle.t >= b.op.invoke.t) continue;
    const x = h.ids.get(a.r.id);
    if (x === undefined) continue;
    const from = a.op.invoke.t;
    const to = b.op.settle.t;
    if (touches.some((t) => t > from && t < to && t !== b.op.invoke.t)) continue;
    if (x.deliveries.some((d) => d.invoke.t < to)) continue;
    if (h.blindReceives.some((rv) => rv.t < to && rv.queue === a.tok.queue)) continue;
    if ([...x.toks].some((t) => t.item.ttlMs !== undefined) || crashBetweenForgetting(h, a, to)) continue;
    const final = h.final;
    if (final !== undefined && (final.purged.includes(x.id) || final.expired.some((e) => e.id === x.id))) continue;
    r.add("dedup", `key ${String(b.tok.item.key)} pointed at ${x.id}, still ready, yet the next enqueue created ${b.r.id} instead of replacing it`, [
      a.op.invoke,
      a.op.settle,
      b.op.invoke,
      b.op.settle,
    ]);
  }
}

function crashBetweenForgetting(h: HistoryIndex, a: KeyedResult, before: bigint): boolean {
  return forgettingCrash(h, a.op.invoke.t, a.op.settle.t, before) !== undefined;
}

// Invoke times of every enqueue or publish naming each key (their outcome may be unknown).
function keyTouches(h: HistoryIndex): Map<string, bigint[]> {
  const out = new Map<string, bigint[]>();
  for (const tok of h.toks.values()) {
    if (tok.item.key === undefined) continue;
    const t = tok.enq?.invoke.t ?? tok.ack?.invoke.t;
    if (t === undefined) continue;
    const k = `${tok.queue}\u0000${tok.item.key}`;
    const list = out.get(k);
    if (list === undefined) out.set(k, [t]);
    else list.push(t);
  }
  return out;
}

function knownIds(h: HistoryIndex): Set<string> {
  const known = new Set<string>();
  for (const rec of h.ids.values()) if (rec.deliveries.length > 0 || rec.results.some((x) => x.r.result !== "duplicate")) known.add(rec.id);
  for (const e of h.final?.dlq ?? []) known.add(e.id);
  for (const e of h.final?.expired ?? []) known.add(e.id);
  for (const id of h.final?.purged ?? []) known.add(id);
  // An indeterminate create may have made the id, with no result to show it.
  for (const tok of h.toks.values()) if (tok.status === "indet") for (const id of tok.ids) known.add(id);
  return known;
}

function msBig(value: number): bigint {
  return BigInt(Math.round(value)) * 1_000_000n;
}
