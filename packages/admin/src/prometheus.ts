import type { HealthLike, LatencySummary } from "./admin-host";
import type { AdminMetrics, QueueMetrics } from "./queue-metrics";

/** Content type of the Prometheus text exposition format this renders. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Renders metrics in the Prometheus text format (version 0.0.4), written by
 * hand: a few dozen lines beat a client library whose registry would have to
 * be kept in sync with numbers the host already holds.
 */
export function renderPrometheus(metrics: AdminMetrics, health: HealthLike): string {
  const out: string[] = [];
  const family = (name: string, type: "gauge" | "counter" | "summary", help: string, rows: readonly string[]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows);
  };
  const perQueue = (name: string, pick: (q: QueueMetrics) => number | undefined): string[] =>
    metrics.queues.flatMap((q) => {
      const v = pick(q);
      return v === undefined ? [] : [`${name}{queue="${label(q.queue)}"} ${num(v)}`];
    });

  family("mq_up", "gauge", "1 while the host is open and its journal accepts writes.", [`mq_up ${health.ok ? 1 : 0}`]);
  family("mq_journal_failed", "gauge", "1 once the journal failed and the host stopped accepting writes (fail-stop).", [`mq_journal_failed ${health.failure === undefined ? 0 : 1}`]);
  family("mq_journal_last_lsn", "gauge", "Highest journal sequence number written.", [`mq_journal_last_lsn ${health.journal.lastLsn}`]);
  if (health.journal.syncLagMs !== undefined) {
    family("mq_journal_sync_lag_seconds", "gauge", "How long written frames have waited for fdatasync (0 when all is durable).", [`mq_journal_sync_lag_seconds ${num(health.journal.syncLagMs / 1000)}`]);
  }
  family("mq_queue_ready", "gauge", "Messages ready for delivery.", perQueue("mq_queue_ready", (q) => q.ready));
  family("mq_queue_delayed", "gauge", "Messages waiting for their delay to pass.", perQueue("mq_queue_delayed", (q) => q.delayed));
  family("mq_queue_in_flight", "gauge", "Messages leased to a consumer and not yet settled.", perQueue("mq_queue_in_flight", (q) => q.inFlight));
  family("mq_queue_dead_letters", "gauge", "Dead letters kept for the queue.", perQueue("mq_queue_dead_letters", (q) => q.deadLettered));
  family("mq_queue_bytes", "gauge", "Encoded payload bytes held.", perQueue("mq_queue_bytes", (q) => q.bytes));
  const counters: [string, keyof QueueMetrics["totals"], string][] = [
    ["mq_messages_enqueued_total", "enqueued", "Messages created in the queue."],
    ["mq_messages_delivered_total", "delivered", "Deliveries (leases) handed to consumers."],
    ["mq_messages_acked_total", "acked", "Messages acknowledged."],
    ["mq_messages_retried_total", "retried", "Failed attempts scheduled for retry."],
    ["mq_messages_dead_lettered_total", "deadLettered", "Messages moved to the dead-letter store."],
    ["mq_messages_expired_total", "expired", "Messages whose TTL passed before delivery."],
    ["mq_handler_failures_total", "failed", "Failed handler attempts since the process started."],
  ];
  for (const [name, key, help] of counters) family(name, "counter", help, perQueue(name, (q) => q.totals[key]));
  family(
    "mq_queue_groups",
    "gauge",
    "Ordering groups by state: ready (head waiting), active (head in flight), blocked (head waiting for its retry), throttled (paused or out of tokens).",
    metrics.queues.flatMap((q) => (q.groups === undefined ? [] : (["ready", "active", "blocked", "throttled"] as const).map((state) => `mq_queue_groups{queue="${label(q.queue)}",state="${state}"} ${q.groups![state]}`))),
  );
  family(
    "mq_starts_throttled_total",
    "counter",
    "Starts held back by a limit: rateLimit, groupRateLimit, maxInFlight, or a handler's back-off (backOff).",
    metrics.queues.flatMap((q) => (q.throttled === undefined ? [] : (["rateLimit", "groupRateLimit", "maxInFlight", "backOff"] as const).map((limit) => `mq_starts_throttled_total{queue="${label(q.queue)}",limit="${limit}"} ${q.throttled![limit]}`))),
  );
  family("mq_handler_parallelism", "gauge", "Most concurrent handler invocations allowed.", perQueue("mq_handler_parallelism", (q) => q.handler?.parallelism));
  family("mq_handler_running", "gauge", "Handler invocations running now.", perQueue("mq_handler_running", (q) => q.handler?.running));
  family("mq_handler_paused", "gauge", "1 while the queue's handler is paused.", perQueue("mq_handler_paused", (q) => (q.handler === undefined ? undefined : q.handler.paused ? 1 : 0)));
  family("mq_queue_wait_seconds", "summary", "Enqueue to handler start over the last minute.", metrics.queues.flatMap((q) => summary("mq_queue_wait_seconds", q.queue, q.latency.waitMs)));
  family("mq_handler_duration_seconds", "summary", "Handler run time over the last minute.", metrics.queues.flatMap((q) => summary("mq_handler_duration_seconds", q.queue, q.latency.handlerMs)));
  return `${out.join("\n")}\n`;
}

// ---------------------------------------------------------------------------

function summary(name: string, queue: string, s: LatencySummary): string[] {
  const q = label(queue);
  return [
    `${name}{queue="${q}",quantile="0.5"} ${num(s.p50Ms / 1000)}`,
    `${name}{queue="${q}",quantile="0.95"} ${num(s.p95Ms / 1000)}`,
    `${name}{queue="${q}",quantile="0.99"} ${num(s.p99Ms / 1000)}`,
    `${name}_sum{queue="${q}"} ${num((s.meanMs * s.count) / 1000)}`,
    `${name}_count{queue="${q}"} ${s.count}`,
  ];
}

/** Escapes a label value as the text format requires. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : "-Inf";
  return String(Math.round(n * 1e6) / 1e6);
}
