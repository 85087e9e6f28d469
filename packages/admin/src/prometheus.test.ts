import { describe, expect, it } from "vitest";
import type { HealthLike } from "./admin-host";
import { toJsonSafe } from "./json-safe";
import { renderPrometheus } from "./prometheus";
import type { AdminMetrics } from "./queue-metrics";

const latency = { count: 4, meanMs: 2.5, p50Ms: 2, p95Ms: 4, p99Ms: 4, maxMs: 4 };
const health: HealthLike = { ok: false, status: "failed", durability: "batch", journal: { kind: "file", state: "failed", lastLsn: 42, durableLsn: 40, syncLagMs: 1500 }, failure: { code: "MQ_PERSISTENCE", message: "x", at: 1 }, handlersRunning: false };
const metrics: AdminMetrics = {
  at: 0,
  total: { ready: 1, delayed: 0, inFlight: 0, deadLettered: 0, totals: { enqueued: 0, replaced: 0, duplicates: 0, delivered: 0, acked: 0, retried: 0, deadLettered: 0, expired: 0 } },
  queues: [
    {
      queue: 'we"ird\\queue\nname',
      ready: 1,
      delayed: 0,
      inFlight: 0,
      deadLettered: 0,
      bytes: 10,
      capacity: 100,
      totals: { enqueued: 5, replaced: 0, duplicates: 0, delivered: 5, acked: 4, retried: 0, deadLettered: 0, expired: 0, failed: 1 },
      rates: { enqueued: 0, delivered: 0, acked: 0, failed: 0, retried: 0, deadLettered: 0, expired: 0 },
      latency: { waitMs: latency, handlerMs: latency },
    },
  ],
};

describe("renderPrometheus", () => {
  it("escapes label values and writes summaries in seconds", () => {
    const text = renderPrometheus(metrics, health);
    expect(text).toContain('mq_queue_ready{queue="we\\"ird\\\\queue\\nname"} 1');
    expect(text).toContain('mq_queue_wait_seconds{queue="we\\"ird\\\\queue\\nname",quantile="0.99"} 0.004');
    expect(text).toContain('mq_queue_wait_seconds_sum{queue="we\\"ird\\\\queue\\nname"} 0.01');
    expect(text).toMatch(/^mq_up 0$/m);
    expect(text).toMatch(/^mq_journal_failed 1$/m);
    expect(text).toMatch(/^mq_journal_sync_lag_seconds 1.5$/m);
    // No handler: no handler series for the queue.
    expect(text).not.toMatch(/^mq_handler_parallelism\{/m);
    expect(text.endsWith("\n")).toBe(true);
  });
});

describe("toJsonSafe", () => {
  it("turns binary, bigints, dates, maps and non-finite numbers into JSON", () => {
    const value = toJsonSafe({ b: new Uint8Array([1, 2, 3]), n: 10n, d: new Date(0), m: new Map([["k", 1]]), s: new Set([1]), inf: Infinity, u: undefined });
    expect(value).toEqual({ b: { $binary: "AQID" }, n: "10", d: "1970-01-01T00:00:00.000Z", m: { k: 1 }, s: [1], inf: "Infinity", u: null });
    expect(JSON.parse(JSON.stringify(value))).toEqual(value);
  });
});
