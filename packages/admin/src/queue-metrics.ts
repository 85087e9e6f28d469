import type { GroupStats, QueueStats, ThrottleStats } from "@mq/core";
import type { AdminHost, LatencySummary, RateName } from "./admin-host";

/** One queue as admin shows it: depth, totals since start, rates and latency over the last minute, its handler. */
export interface QueueMetrics {
  readonly queue: string;
  readonly ready: number;
  readonly delayed: number;
  readonly inFlight: number;
  readonly deadLettered: number;
  readonly bytes: number;
  readonly capacity: number;
  /** Since the data folder was created (they survive restarts), plus `failed` handler attempts since this process started. */
  readonly totals: QueueStats["totals"] & { readonly failed: number };
  /** Per second, averaged over the last minute. */
  readonly rates: Readonly<Record<RateName, number>>;
  readonly latency: { readonly waitMs: LatencySummary; readonly handlerMs: LatencySummary };
  readonly handler?: { readonly parallelism: number; readonly running: number; readonly paused: boolean; readonly buffered: number };
  /** Ordering groups by state (backends with groups). */
  readonly groups?: GroupStats;
  /** Starts held back by each limit since the host started (backends with limits). */
  readonly throttled?: ThrottleStats;
}

/** Every queue plus sums over all of them. */
export interface AdminMetrics {
  /** Epoch ms the numbers were read. */
  readonly at: number;
  readonly queues: readonly QueueMetrics[];
  readonly total: Pick<QueueStats, "ready" | "delayed" | "inFlight" | "deadLettered" | "totals">;
}

const RATE_NAMES: readonly RateName[] = ["enqueued", "delivered", "acked", "failed", "retried", "deadLettered", "expired"];

/** Reads one queue's numbers from the host. */
export async function queueMetrics(host: AdminHost, queue: string): Promise<QueueMetrics> {
  const stats = await host.stats(queue);
  const worker = host.workers().find((w) => w.queue === queue);
  const latency = host.latency(queue);
  const hostRates = host.rates(queue);
  const rates = {} as Record<RateName, number>;
  for (const name of RATE_NAMES) rates[name] = hostRates[name];
  return {
    queue,
    ready: stats.ready,
    delayed: stats.delayed,
    inFlight: stats.inFlight,
    deadLettered: stats.deadLettered,
    bytes: stats.bytes,
    capacity: stats.capacity,
    totals: { ...stats.totals, failed: worker?.failed ?? 0 },
    rates,
    latency: { waitMs: latency.waitMs, handlerMs: latency.handlerMs },
    ...(stats.groups === undefined ? {} : { groups: stats.groups }),
    ...(stats.throttled === undefined ? {} : { throttled: stats.throttled }),
    ...(worker === undefined ? {} : { handler: { parallelism: worker.parallelism, running: worker.running, paused: worker.paused, buffered: worker.buffered } }),
  };
}
