/**
 * `tsx src/redis-focus.ts [--fsync always|everysec] [--workloads latency,single,...] [--rounds 3] [--samples 1000] [--single 1000] [--rate 1000]`
 * (`MQ_BENCH_BASE=/abs/path/to/other/build/index.js` adds that build of @mq/redis as a third product, "base")
 *
 * A diagnostic, not the report: runs only the chosen workloads of the Redis
 * peers, alternating BullMQ and @mq/redis on one redis-server, `--rounds`
 * times, and prints each result and the median per product. On a shared,
 * loaded machine a comparison taken this way (same server, same minutes,
 * interleaved) is fairer than two peers run one after the other.
 */
import { parseArgs } from "node:util";
import type { Peer } from "./peer";
import { createBullmqPeer } from "./peers/bullmq-peer";
import { createMqRedisPeer } from "./peers/mq-redis-peer";
import { startRedisServer, type AppendFsync } from "./redis-server";
import { runWorkload, WORKLOAD_IDS, type WorkloadId, type WorkloadResult, type WorkloadSizes } from "./workloads";

const { values } = parseArgs({
  options: {
    fsync: { type: "string", default: "always" },
    workloads: { type: "string", default: "latency,latency-3p,single" },
    rounds: { type: "string", default: "3" },
    samples: { type: "string", default: "1000" },
    single: { type: "string", default: "1000" },
    drain: { type: "string", default: "5000" },
    only: { type: "string", default: "bullmq,mq-redis" },
    rate: { type: "string", default: "1000" },
  },
});
const fsync = values.fsync as AppendFsync;
const workloads = values.workloads.split(",").map((w) => {
  if (!(WORKLOAD_IDS as readonly string[]).includes(w)) throw new Error(`unknown workload ${w}`);
  return w as WorkloadId;
});
const rounds = Number(values.rounds);
const sizes: WorkloadSizes = { single: Number(values.single), bulk: Number(values.drain), drain: Number(values.drain), latency: Number(values.samples), latencyRate: Number(values.rate), capSeconds: 40 };

const server = await startRedisServer(fsync);
const peers: Peer[] = [];
if (values.only.includes("bullmq")) peers.push(createBullmqPeer(server));
if (values.only.includes("mq-redis")) peers.push(createMqRedisPeer(server));
// MQ_BENCH_BASE: the path of another @mq/redis build (e.g. main's), run as a third product ("base").
const base = process.env.MQ_BENCH_BASE;
if (base !== undefined) peers.push({ ...createMqRedisPeer(server, base), id: "base" as Peer["id"] });
const results = new Map<string, WorkloadResult[]>();
const show = (r: WorkloadResult): string =>
  r.kind === "latency" ? `p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} max ${r.max.toFixed(2)} started/s ${Math.round(r.startedPerSecond)}` : r.kind === "throughput" ? `${Math.round(r.perSecond)} msg/s` : `error ${r.error}`;
try {
  for (let round = 0; round < rounds; round++) {
    for (const workload of workloads) {
      // Alternate which product goes first, so neither always runs on the warmer server.
      const order = peers.map((_, k) => peers[(k + round) % peers.length]!);
      for (const peer of order) {
        const session = await peer.openSession();
        let result: WorkloadResult;
        try {
          result = await runWorkload(workload, session, sizes, () => undefined);
        } catch (error) {
          result = { kind: "error", error: String(error) };
        } finally {
          await session.close().catch(() => undefined);
        }
        const key = `${workload} ${peer.id}`;
        results.set(key, [...(results.get(key) ?? []), result]);
        console.log(`round ${round + 1} ${key}: ${show(result)}`);
      }
    }
  }
} finally {
  await server.stop();
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\nmedians over ${rounds} rounds (appendfsync ${fsync}, load ${(await import("node:os")).loadavg()[0]!.toFixed(1)}):`);
for (const [key, rs] of results) {
  const ok = rs.filter((r) => r.kind !== "error");
  if (ok.length === 0) console.log(`${key}: all failed`);
  else if (ok[0]!.kind === "latency") {
    const l = ok as Extract<WorkloadResult, { kind: "latency" }>[];
    console.log(`${key}: p50 ${median(l.map((r) => r.p50)).toFixed(2)} p99 ${median(l.map((r) => r.p99)).toFixed(2)} max ${median(l.map((r) => r.max)).toFixed(2)}`);
  } else console.log(`${key}: ${Math.round(median((ok as Extract<WorkloadResult, { kind: "throughput" }>[]).map((r) => r.perSecond)))} msg/s`);
}
process.exit(0);
