// One workload on one embedded @mq peer, repeated: for CPU profiles and A/B
// runs (see PROFILES.md). Not part of `pnpm bench:peers`.
//
//   node --import tsx src/one-workload.ts --peer batch --workload bulk-1 [--messages 100000] [--runs 3]
//   node --import tsx src/one-workload.ts --peer batch --workload drain-c32 --profile /tmp/prof
//
// `--profile DIR` writes one .cpuprofile per run covering only the timed part
// (from the first timed enqueue, or from the handler's registration in a
// drain, to the end: the untimed prefill is left out). Each run also prints
// the process CPU time (user + system, all threads) per message.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import path from "node:path";
import { parseArgs } from "node:util";
import type { PeerSession } from "./peer";
import { createMqPeer } from "./peers/mq-peer";
import { runWorkload, WORKLOAD_IDS, type WorkloadId } from "./workloads";

const { values } = parseArgs({
  options: {
    peer: { type: "string", default: "batch" },
    workload: { type: "string", default: "bulk-1" },
    messages: { type: "string", default: "100000" },
    runs: { type: "string", default: "1" },
    profile: { type: "string" },
    "sample-us": { type: "string", default: "200" },
  },
});
const durability = values.peer === "interval" ? "interval" : "batch";
const workload = values.workload as WorkloadId;
if (!WORKLOAD_IDS.includes(workload)) throw new Error(`--workload must be one of ${WORKLOAD_IDS.join(", ")}`);
const messages = Number(values.messages);
const sizes = { single: Math.max(100, Math.floor(messages / 20)), bulk: messages, drain: messages, latency: 3_000, latencyRate: 1_000, capSeconds: 60 };
const timedMessages = workload === "single" ? sizes.single : workload.startsWith("latency") ? 3_200 : messages;

const inspector = values.profile === undefined ? undefined : new Session();
inspector?.connect();
const post = (method: string, params?: object): Promise<unknown> =>
  new Promise((resolve, reject) => inspector!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));

/** CPU time of the main (event-loop) thread in µs, from /proc on Linux (undefined elsewhere): the loaded-machine-proof figure. */
function mainThreadCpuUs(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

const peer = createMqPeer(durability);
for (let run = 0; run < Number(values.runs); run++) {
  const session = await peer.openSession();
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  let mainAtStart: number | undefined;
  const begin = (): void => {
    if (cpuAtStart !== undefined) return;
    cpuAtStart = process.cpuUsage();
    mainAtStart = mainThreadCpuUs();
    if (inspector !== undefined) {
      void post("Profiler.enable").then(() => post("Profiler.setSamplingInterval", { interval: Number(values["sample-us"]) })).then(() => post("Profiler.start"));
    }
  };
  // The timed part starts at the first enqueue of a producer workload, at consume() in a drain or latency run.
  const prefilling = workload.startsWith("drain");
  const timed: PeerSession = {
    enqueue: (payload) => (prefilling ? undefined : begin(), session.enqueue(payload)),
    enqueueBatch: (payloads) => (prefilling ? undefined : begin(), session.enqueueBatch(payloads)),
    consume: (concurrency, onStart, onDone) => (begin(), session.consume(concurrency, onStart, onDone)),
    close: () => session.close(),
  };
  try {
    const result = await runWorkload(workload, timed, sizes, () => undefined);
    const cpu = process.cpuUsage(cpuAtStart);
    const mainCpu = (mainThreadCpuUs() ?? NaN) - (mainAtStart ?? NaN);
    if (inspector !== undefined) {
      const { profile } = (await post("Profiler.stop")) as { profile: unknown };
      mkdirSync(values.profile!, { recursive: true });
      const file = path.join(values.profile!, `${durability}-${workload}-${process.pid}-${run + 1}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      process.stderr.write(`profile: ${file}\n`);
    }
    const figure = result.kind === "throughput" ? `${Math.round(result.perSecond)} msg/s` : `p50 ${result.p50.toFixed(3)} ms p99 ${result.p99.toFixed(3)} ms max ${result.max.toFixed(2)} ms`;
    const per = (us: number): string => (us / timedMessages).toFixed(2);
    process.stdout.write(`${durability} ${workload} run ${run + 1}: ${figure}; CPU per message ${per(cpu.user + cpu.system)} µs (user ${per(cpu.user)}, system ${per(cpu.system)}; main thread ${per(mainCpu)})\n`);
  } finally {
    await session.close();
  }
}
await peer.dispose();
