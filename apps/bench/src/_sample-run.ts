// Test data shared by the format and report tests (not a test file itself).
import type { RunResult } from "./run-result";
import type { WorkloadResult } from "./workloads";

const tp = (perSecond: number, partial = false): WorkloadResult => ({ kind: "throughput", messages: 100_000, planned: partial ? 200_000 : 100_000, partial, seconds: 100_000 / perSecond, perSecond });
const lat = (p50: number, p99: number, max: number): WorkloadResult => ({ kind: "latency", rate: 1_000, acceptedPerSecond: 1_000, startedPerSecond: 999, count: 3_000, p50, p99, max });

/** A run with the figures of issue 12's "before" table (BullMQ always invented; one @mq error). */
export function sampleRun(): RunResult {
  return {
    schema: "mq-bench-peers/1",
    startedAt: "2026-12-02T00:00:00.000Z",
    durationSeconds: 420,
    machine: { cpuModel: "AMD EPYC <test>", cpus: 2, memoryGiB: 24, os: "Linux", node: "v20.20.2", redisServer: "7.0.15", bullmq: "6.7.0", loadAverage: { start: 1, end: 2 } },
    sizes: { single: 5_000, bulk: 100_000, drain: 100_000, latency: 3_000, latencyRate: 1_000, capSeconds: 45 },
    redisSizes: { single: 1_000, bulk: 20_000, drain: 20_000, latency: 3_000, latencyRate: 1_000, capSeconds: 45 },
    payloadBytes: 256,
    fdatasync: { samples: 2_000, p50Ms: 0.31, p99Ms: 1.06, maxMs: 3, perSecond: 3_000, dir: "/tmp" },
    peers: {
      "bullmq-everysec": { settings: "s", results: { single: tp(9_676), "bulk-1": tp(19_573), "bulk-8": tp(20_000), "drain-c1": tp(4_918), "drain-c32": tp(15_487), "drain-3p": tp(3_000), latency: lat(0.64, 6.9, 12), "latency-3p": lat(1, 8, 10) } },
      "bullmq-always": { settings: "s", results: { single: tp(2_000), "bulk-1": tp(10_000), "bulk-8": tp(12_000), "drain-c1": tp(2_000, true), "drain-c32": tp(8_000), "drain-3p": tp(1_000), latency: lat(1.5, 9, 20) } },
      "mq-redis-everysec": { settings: "s", results: { single: tp(5_000), "bulk-1": tp(20_000), "bulk-8": tp(30_000), "drain-c1": tp(3_000), "drain-c32": tp(6_000), "drain-3p": tp(9_000), latency: lat(2, 13.8, 20), "latency-3p": lat(1, 4, 5) } },
      "mq-redis-always": { settings: "s", results: { single: tp(1_000), "bulk-1": tp(8_000), "bulk-8": { kind: "error", error: "redis gone" }, "drain-c1": tp(1_000), "drain-c32": tp(4_000), latency: lat(3, 18, 30) } },
      "mq-batch": { settings: "s", results: { single: tp(2_573), "bulk-1": tp(65_485), "bulk-8": { kind: "error", error: "boom" }, "drain-c1": tp(4_780), "drain-c32": tp(21_254), latency: lat(0.79, 11, 15) } },
      "mq-interval": { settings: "s", results: { single: tp(16_530), "bulk-1": tp(500_000), "bulk-8": tp(600_000), "drain-c1": tp(38_685), "drain-c32": tp(67_207), latency: lat(0.11, 0.9, 3.5) } },
    },
  };
}
