import type { Ev, EvDelivered, EvEnqueueResult, EvItem, EvOf } from "./events";
import type { ReportBuilder } from "./report";

/** Settings of the run that produced a history. */
export interface CheckHistoryConfig {
  /** Durability mode of the host: `interval` and `none` may lose recent writes on a crash. */
  readonly mode: "always" | "batch" | "interval" | "none";
  /** Sync interval for `mode: "interval"`. @default 0 */
  readonly intervalMs?: number;
  /** Handler retries: at most `maxRetries + 1` attempts per message. */
  readonly maxRetries: number;
  /** Timing slack for lease and delay comparisons. @default 5 */
  readonly epsMs?: number;
  /** A strict run (1 producer, 1 consumer, `max = 1`, no failures or delays): REORDER and PRIORITY INVERSION are violations. */
  readonly strict?: boolean;
  /** Drop-mode dedup window; without it the "two creates within the window" check is skipped. */
  readonly dedupWindowMs?: number;
  /** The wall clock was moved during the run: skip the wall-clock EARLY/LATE checks. */
  readonly wallClockJumps?: boolean;
}

/** An op's invoke line and the line that settled it (none when the writer died first). */
export interface OpRec<I extends Ev, S extends Ev> {
  readonly invoke: I;
  settle?: S;
}

export type EnqOp = OpRec<EvOf<"enq.invoke">, EvOf<"enq.ok" | "enq.fail" | "enq.info">>;
export type AckOp = OpRec<EvOf<"ack.invoke">, EvOf<"ack.ok" | "ack.fail" | "ack.info">> & { dels: DelRec[] };
export type ExtOp = OpRec<EvOf<"ext.invoke">, EvOf<"ext.ok" | "ext.fail" | "ext.info">>;
export type NackOp = OpRec<EvOf<"nack.invoke">, EvOf<"nack.ok" | "nack.fail" | "nack.info">>;

/** What is known about one token: `acked` (created/replaced), `duplicate`, `failed` (definite) or `indet`. */
export interface TokRec {
  readonly tok: string;
  readonly item: EvItem;
  readonly queue: string;
  readonly source: "enq" | "publish";
  /** The enqueue op (or ack+publish op) the token belongs to. */
  readonly enq?: EnqOp;
  readonly ack?: AckOp;
  status: "acked" | "duplicate" | "failed" | "indet";
  /** Results naming this token (one per fan-out copy). */
  readonly results: EvEnqueueResult[];
  /** Ids this token is known to live at (from results or deliveries). */
  readonly ids: Set<string>;
  /** Deliveries carrying this token. */
  readonly deliveries: DelRec[];
}

/** One delivered message with everything that happened to its lease. */
export interface DelRec {
  readonly d: EvDelivered;
  readonly invoke: EvOf<"recv.invoke">;
  readonly ok: EvOf<"recv.ok">;
  /** Position inside the recv.ok batch (orders deliveries with equal `t`). */
  readonly index: number;
  readonly exts: ExtOp[];
  readonly acks: AckOp[];
  readonly nacks: NackOp[];
}

/** Everything known about one message id. */
export interface IdRec {
  readonly id: string;
  /** Deliveries ordered by recv.ok time, then position. */
  readonly deliveries: DelRec[];
  /** Settled results naming this id, in settle order. */
  readonly results: { readonly tok: TokRec; readonly r: EvEnqueueResult; readonly op: EnqOp }[];
  /** Tokens seen at this id (results and deliveries). */
  readonly toks: Set<TokRec>;
}

/** The indexed history plus shared helpers the checks use. */
export interface HistoryIndex {
  readonly cfg: Required<Omit<CheckHistoryConfig, "dedupWindowMs">> & { readonly dedupWindowMs?: number };
  readonly eps: bigint;
  readonly events: readonly Ev[];
  readonly toks: ReadonlyMap<string, TokRec>;
  readonly ids: ReadonlyMap<string, IdRec>;
  readonly enqOps: readonly EnqOp[];
  readonly ackOps: readonly AckOp[];
  readonly deliveries: readonly DelRec[];
  /** Times of crash and restart events, ascending. */
  readonly crashes: readonly Ev[];
  readonly disconnects: ReadonlyMap<string, bigint[]>;
  readonly final?: EvOf<"final">;
  /** Receives that may have leased messages nobody saw (info or never settled). */
  readonly blindReceives: readonly EvOf<"recv.invoke">[];
}

const NS_PER_MS = 1_000_000n;

/** Milliseconds as a bigint nanosecond span. */
export function ms(value: number): bigint {
  return BigInt(Math.round(value * 1_000)) * (NS_PER_MS / 1_000n);
}

/** Builds the index; malformed lines (settles without invokes, unknown receipts, reused tokens) are reported. */
export function indexHistory(events: readonly Ev[], config: CheckHistoryConfig, report: ReportBuilder): HistoryIndex {
  const cfg = {
    mode: config.mode,
    intervalMs: config.intervalMs ?? 0,
    maxRetries: config.maxRetries,
    epsMs: config.epsMs ?? 5,
    strict: config.strict ?? false,
    wallClockJumps: config.wallClockJumps ?? false,
    ...(config.dedupWindowMs === undefined ? {} : { dedupWindowMs: config.dedupWindowMs }),
  };
  const toks = new Map<string, TokRec>();
  const ids = new Map<string, IdRec>();
  const enqOps = new Map<string, EnqOp>();
  const recvOps = new Map<string, { invoke: EvOf<"recv.invoke">; settle?: Ev }>();
  const ackOps = new Map<string, AckOp>();
  const receipts = new Map<string, DelRec>();
  const openExt = new Map<string, ExtOp[]>();
  const openNack = new Map<string, NackOp[]>();
  const deliveries: DelRec[] = [];
  const crashes: Ev[] = [];
  const disconnects = new Map<string, bigint[]>();
  let final: EvOf<"final"> | undefined;

  const idRec = (id: string): IdRec => {
    let rec = ids.get(id);
    if (rec === undefined) ids.set(id, (rec = { id, deliveries: [], results: [], toks: new Set() }));
    return rec;
  };
  const addTok = (item: EvItem, queue: string, ev: Ev, extra: Pick<TokRec, "source"> & Partial<Pick<TokRec, "enq" | "ack">>): void => {
    if (toks.has(item.tok)) {
      report.add("malformed", `token ${item.tok} is used by two enqueues`, [ev]);
      return;
    }
    toks.set(item.tok, { tok: item.tok, item, queue: item.queue ?? queue, status: "indet", results: [], ids: new Set(), deliveries: [], ...extra });
  };

  for (const ev of events) {
    switch (ev.k) {
      case "enq.invoke": {
        const op: EnqOp = { invoke: ev };
        enqOps.set(ev.op, op);
        for (const item of ev.items) addTok(item, ev.queue, ev, { source: "enq", enq: op });
        break;
      }
      case "enq.ok":
      case "enq.fail":
      case "enq.info": {
        const op = enqOps.get(ev.op);
        if (op === undefined || op.settle !== undefined) {
          report.add("malformed", `${ev.k} for unknown or already settled op ${ev.op}`, [ev]);
          break;
        }
        op.settle = ev;
        for (const item of op.invoke.items) {
          const tok = toks.get(item.tok);
          if (tok?.enq !== op) continue;
          if (ev.k === "enq.fail") tok.status = "failed";
          else if (ev.k === "enq.ok") tok.status = "duplicate";
        }
        if (ev.k !== "enq.ok") break;
        for (const r of ev.results) {
          const tok = toks.get(r.tok);
          if (tok?.enq !== op) {
            report.add("malformed", `enq.ok names token ${r.tok} that op ${ev.op} did not send`, [op.invoke, ev]);
            continue;
          }
          tok.results.push(r);
          if (r.result !== "duplicate") tok.status = "acked";
          tok.ids.add(r.id);
          const rec = idRec(r.id);
          rec.results.push({ tok, r, op });
          rec.toks.add(tok);
        }
        for (const item of op.invoke.items) {
          const tok = toks.get(item.tok);
          if (tok?.enq === op && tok.results.length === 0) report.add("malformed", `enq.ok has no result for token ${item.tok}`, [op.invoke, ev]);
        }
        break;
      }
      case "recv.invoke":
        recvOps.set(ev.rop, { invoke: ev });
        break;
      case "recv.ok":
      case "recv.fail":
      case "recv.info": {
        const op = recvOps.get(ev.rop);
        if (op === undefined || op.settle !== undefined) {
          report.add("malformed", `${ev.k} for unknown or already settled receive ${ev.rop}`, [ev]);
          break;
        }
        op.settle = ev;
        if (ev.k !== "recv.ok") break;
        ev.d.forEach((d, index) => {
          const del: DelRec = { d, invoke: op.invoke, ok: ev, index, exts: [], acks: [], nacks: [] };
          if (receipts.has(d.receipt)) report.add("malformed", `receipt ${d.receipt} handed out twice`, [op.invoke, ev]);
          receipts.set(d.receipt, del);
          deliveries.push(del);
          idRec(d.id).deliveries.push(del);
          const tok = toks.get(d.tok);
          if (tok !== undefined) {
            tok.deliveries.push(del);
            tok.ids.add(d.id);
            idRec(d.id).toks.add(tok);
          }
        });
        break;
      }
      case "ext.invoke":
      case "nack.invoke": {
        const del = receipts.get(ev.receipt);
        if (del === undefined) {
          report.add("malformed", `${ev.k} for receipt ${ev.receipt} never delivered`, [ev]);
          break;
        }
        if (ev.k === "ext.invoke") {
          const op: ExtOp = { invoke: ev };
          del.exts.push(op);
          pushTo(openExt, ev.receipt, op);
        } else {
          const op: NackOp = { invoke: ev };
          del.nacks.push(op);
          pushTo(openNack, ev.receipt, op);
        }
        break;
      }
      case "ext.ok":
      case "ext.fail":
      case "ext.info": {
        const op = openExt.get(ev.receipt)?.shift();
        if (op === undefined) report.add("malformed", `${ev.k} without an open ext.invoke`, [ev]);
        else op.settle = ev;
        break;
      }
      case "nack.ok":
      case "nack.fail":
      case "nack.info": {
        const op = openNack.get(ev.receipt)?.shift();
        if (op === undefined) report.add("malformed", `${ev.k} without an open nack.invoke`, [ev]);
        else op.settle = ev;
        break;
      }
      case "ack.invoke": {
        const op: AckOp = { invoke: ev, dels: [] };
        ackOps.set(ev.aop, op);
        for (const receipt of ev.receipts) {
          const del = receipts.get(receipt);
          if (del === undefined) {
            report.add("malformed", `ack of receipt ${receipt} never delivered`, [ev]);
            continue;
          }
          del.acks.push(op);
          op.dels.push(del);
        }
        const queue = op.dels[0]?.invoke.queue ?? "";
        for (const item of ev.publish ?? []) addTok(item, queue, ev, { source: "publish", ack: op });
        break;
      }
      case "ack.ok":
      case "ack.fail":
      case "ack.info": {
        const op = ackOps.get(ev.aop);
        if (op === undefined || op.settle !== undefined) {
          report.add("malformed", `${ev.k} for unknown or already settled ack ${ev.aop}`, [ev]);
          break;
        }
        op.settle = ev;
        for (const item of op.invoke.publish ?? []) {
          const tok = toks.get(item.tok);
          if (tok?.ack !== op) continue;
          // Published ids are not returned by ack(); deliveries name them later.
          tok.status = ev.k === "ack.ok" ? "acked" : ev.k === "ack.fail" ? "failed" : "indet";
        }
        break;
      }
      case "crash":
      case "restart":
        crashes.push(ev);
        break;
      case "disconnect":
        pushTo(disconnects, ev.consumer, ev.t);
        break;
      case "final":
        final = ev;
        break;
      case "handle.done":
        break;
    }
  }

  for (const rec of ids.values()) rec.deliveries.sort(byDelivery);
  deliveries.sort(byDelivery);
  // A definite failure leased nothing; an indeterminate or unsettled receive may have leased messages nobody saw.
  const blindReceives = [...recvOps.values()].filter((r) => r.settle === undefined || r.settle.k === "recv.info").map((r) => r.invoke);
  return {
    cfg,
    eps: ms(cfg.epsMs),
    events,
    toks,
    ids,
    enqOps: [...enqOps.values()],
    ackOps: [...ackOps.values()],
    deliveries,
    crashes,
    disconnects,
    ...(final === undefined ? {} : { final }),
    blindReceives,
  };
}

/** Orders deliveries by recv.ok time, then position in the batch. */
export function byDelivery(a: DelRec, b: DelRec): number {
  return a.ok.t < b.ok.t ? -1 : a.ok.t > b.ok.t ? 1 : a.index - b.index;
}

// ---------------------------------------------------------------------------

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
