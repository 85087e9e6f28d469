import type { Ev } from "@mq/core/testing";

/** Figures read from the merged event history (the authoritative counts, unlike the live ticks). */
export interface HistorySummary {
  /** Enqueue calls that resolved, and their items by outcome. */
  readonly enqueueCalls: number;
  readonly created: number;
  readonly replaced: number;
  readonly duplicates: number;
  /** Items published atomically with an ack that resolved. */
  readonly published: number;
  /** Deliveries handed out, and deliveries acknowledged (ack.ok). */
  readonly deliveries: number;
  readonly acked: number;
  readonly nacked: number;
  readonly ackFailed: number;
  /** Dead letters in the final listing, by reason. */
  readonly deadLetters: Readonly<Record<string, number>>;
  /** Crash-poison messages: how many, and whether each reached the DLQ as `poison` after at most maxAttempts deliveries. */
  readonly poison: { readonly enqueued: number; readonly deadLettered: number; readonly maxDeliveries: number; readonly problems: readonly string[] };
}

/** Counts what the history shows and checks the crash-poison rule (H4): each poison id dead-lettered with reason `poison` after ≤ maxAttempts deliveries. */
export function summarizeHistory(events: readonly Ev[], maxAttempts: number): HistorySummary {
  let enqueueCalls = 0;
  let created = 0;
  let replaced = 0;
  let duplicates = 0;
  let published = 0;
  let deliveries = 0;
  let acked = 0;
  let nacked = 0;
  let ackFailed = 0;
  const ackReceipts = new Map<string, number>();
  const publishCount = new Map<string, number>();
  const poisonToks = new Set<string>();
  const poisonIds = new Map<string, number>();
  const deadLetters: Record<string, number> = {};
  let final: Extract<Ev, { k: "final" }> | undefined;
  for (const ev of events) {
    switch (ev.k) {
      case "enq.invoke":
        for (const item of ev.items) if (item.queue === "poison") poisonToks.add(item.tok);
        break;
      case "enq.ok":
        enqueueCalls++;
        for (const r of ev.results) {
          if (r.result === "created") created++;
          else if (r.result === "replaced") replaced++;
          else duplicates++;
          if (poisonToks.has(r.tok)) poisonIds.set(r.id, poisonIds.get(r.id) ?? 0);
        }
        break;
      case "recv.ok":
        deliveries += ev.d.length;
        for (const d of ev.d) if (poisonIds.has(d.id)) poisonIds.set(d.id, poisonIds.get(d.id)! + 1);
        break;
      case "ack.invoke":
        ackReceipts.set(ev.aop, ev.receipts.length);
        publishCount.set(ev.aop, ev.publish?.length ?? 0);
        break;
      case "ack.ok":
        acked += ackReceipts.get(ev.aop) ?? 0;
        published += publishCount.get(ev.aop) ?? 0;
        break;
      case "ack.fail":
        ackFailed++;
        break;
      case "nack.ok":
        nacked++;
        break;
      case "final":
        final = ev;
        break;
      default:
        break;
    }
  }
  const problems: string[] = [];
  let deadLettered = 0;
  let maxDeliveries = 0;
  for (const dl of final?.dlq ?? []) deadLetters[dl.reason] = (deadLetters[dl.reason] ?? 0) + 1;
  for (const [id, n] of poisonIds) {
    maxDeliveries = Math.max(maxDeliveries, n);
    const dl = final?.dlq.find((x) => x.id === id);
    if (dl === undefined) problems.push(`crash-poison ${id} is not in the dead-letter queue`);
    else if (dl.reason !== "poison") problems.push(`crash-poison ${id} was dead-lettered as "${dl.reason}", not "poison"`);
    else deadLettered++;
    if (n > maxAttempts) problems.push(`crash-poison ${id} was delivered ${n} times (maxAttempts ${maxAttempts})`);
  }
  return { enqueueCalls, created, replaced, duplicates, published, deliveries, acked, nacked, ackFailed, deadLetters, poison: { enqueued: poisonIds.size, deadLettered, maxDeliveries, problems } };
}
