import { checkBatches } from "./check-batches";
import { checkDedup } from "./check-dedup";
import { checkDeliveries } from "./check-deliveries";
import { checkOrder } from "./check-order";
import { checkTerminal, terminals } from "./check-terminal";
import type { Ev } from "./events";
import { indexHistory, type CheckHistoryConfig } from "./history-index";
import { ReportBuilder, type HistoryReport } from "./report";

/**
 * Checks a merged event history against the at-least-once contract with
 * dedup/replace (reliability-anchors §6.3): LOST, LOST UPDATE, PHANTOM,
 * SPURIOUS REDELIVERY, REDELIVERED AFTER ACK, DOUBLE ACK, LEASE OVERLAP,
 * EARLY / LATE, ATTEMPTS, DLQ AND ACKED, DEDUP, PARTIAL BATCH, PARTIAL
 * ACK+PUBLISH, and in strict runs REORDER and PRIORITY INVERSION. RECOVERED,
 * DUPLICATE DELIVERY and losses the durability mode allows are counted, never fatal.
 * `events` must be ordered by `t` (as {@link readEventLogs} returns them).
 */
export function checkHistory(events: readonly Ev[], config: CheckHistoryConfig): HistoryReport {
  const report = new ReportBuilder();
  const h = indexHistory(events, config, report);
  checkDeliveries(h, report);
  checkTerminal(h, report);
  checkBatches(h, report, terminals(h));
  checkDedup(h, report);
  checkOrder(h, report);
  return report.build(h.cfg.strict, { events: events.length, tokens: h.toks.size, ids: h.ids.size, deliveries: h.deliveries.length });
}
