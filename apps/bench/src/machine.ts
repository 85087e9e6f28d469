import { createRequire } from "node:module";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { redisServerVersion } from "./redis-server";
import type { MachineInfo } from "./run-result";

/** Describe this machine; call `finish()` at the end to record the closing load average. */
export function describeMachine(): { info: () => MachineInfo } {
  const start = loadavg()[0] ?? 0;
  const cpuList = cpus();
  const base = {
    cpuModel: cpuList[0]?.model.trim() ?? "unknown",
    cpus: cpuList.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    redisServer: redisServerVersion(),
    bullmq: bullmqVersion(),
  };
  return { info: () => ({ ...base, loadAverage: { start, end: loadavg()[0] ?? 0 } }) };
}

function bullmqVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require("bullmq/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}
