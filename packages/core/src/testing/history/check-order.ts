import type { DelRec, HistoryIndex } from "./history-index";
import type { ReportBuilder } from "./report";

interface Placed {
  readonly id: string;
  readonly queue: string;
  readonly prio: number;
  readonly invokeT: bigint;
  readonly okT: bigint;
  readonly first: DelRec;
}

/**
 * REORDER (within one queue and priority, B's enqueue started after A's
 * completed, yet B was first delivered before A) and PRIORITY INVERSION (a
 * message received while a higher-priority one was enqueued before the receive
 * and not yet delivered). Both are metrics; `strict` runs make them violations.
 */
export function checkOrder(h: HistoryIndex, r: ReportBuilder): void {
  const placed = placedMessages(h);
  const groups = new Map<string, Placed[]>();
  for (const p of placed) {
    const k = `${p.queue}\u0000${String(p.prio)}`;
    const list = groups.get(k);
    if (list === undefined) groups.set(k, [p]);
    else list.push(p);
  }
  for (const list of groups.values()) checkFifo(r, list);
  const queues = new Map<string, Placed[]>();
  for (const p of placed) {
    const list = queues.get(p.queue);
    if (list === undefined) queues.set(p.queue, [p]);
    else list.push(p);
  }
  for (const list of queues.values()) checkPriority(r, list);
}

// ---------------------------------------------------------------------------

function checkFifo(r: ReportBuilder, list: Placed[]): void {
  const order = [...list].sort((a, b) => byFirst(a.first, b.first));
  // later[i]: among messages first delivered after position i, the one whose enqueue completed earliest.
  const later: (Placed | undefined)[] = new Array<Placed | undefined>(order.length + 1).fill(undefined);
  for (let i = order.length - 1; i >= 0; i--) {
    const here = order[i];
    const next = later[i + 1];
    later[i] = here !== undefined && (next === undefined || here.okT < next.okT) ? here : next;
  }
  order.forEach((b, i) => {
    const a = later[i + 1];
    if (a === undefined || a.okT >= b.invokeT) return;
    r.add("reorder", `${a.id} was enqueued before ${b.id} (same queue and priority) but delivered after it`, [a.first.invoke, a.first.ok, b.first.invoke, b.first.ok]);
  });
}

function checkPriority(r: ReportBuilder, list: Placed[]): void {
  const byOk = [...list].sort((a, b) => (a.okT < b.okT ? -1 : a.okT > b.okT ? 1 : 0));
  const byRecv = [...list].sort((a, b) => (a.first.invoke.t < b.first.invoke.t ? -1 : a.first.invoke.t > b.first.invoke.t ? 1 : 0));
  // Per priority level, the waiting message (enqueued before now) whose first receive started last.
  const waiting: (Placed | undefined)[] = new Array<Placed | undefined>(10).fill(undefined);
  let next = 0;
  for (const d of byRecv) {
    for (let x = byOk[next]; x !== undefined && x.okT < d.first.invoke.t; x = byOk[++next]) {
      const cur = waiting[x.prio];
      if (cur === undefined || x.first.invoke.t > cur.first.invoke.t) waiting[x.prio] = x;
    }
    for (let q = d.prio + 1; q < waiting.length; q++) {
      const x = waiting[q];
      if (x !== undefined && x.first.invoke.t > d.first.ok.t) {
        r.add("priorityInversion", `${d.id} (priority ${String(d.prio)}) was received while ${x.id} (priority ${String(q)}) was ready`, [x.first.invoke, d.first.invoke, d.first.ok, x.first.ok]);
        break;
      }
    }
  }
}

function placedMessages(h: HistoryIndex): Placed[] {
  const out: Placed[] = [];
  for (const rec of h.ids.values()) {
    const created = rec.results.find((x) => x.r.result === "created");
    const first = rec.deliveries[0];
    if (created?.op.settle === undefined || first === undefined || (created.tok.item.delayMs ?? 0) > 0) continue;
    const prio = Math.min(9, Math.max(0, Math.trunc(created.tok.item.prio)));
    out.push({ id: rec.id, queue: created.tok.queue, prio, invokeT: created.op.invoke.t, okT: created.op.settle.t, first });
  }
  return out;
}

function byFirst(a: DelRec, b: DelRec): number {
  return a.ok.t < b.ok.t ? -1 : a.ok.t > b.ok.t ? 1 : a.index - b.index;
}
