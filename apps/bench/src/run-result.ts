import type { FdatasyncFloor } from "./fdatasync-probe";
import type { PeerId } from "./peer";
import type { WorkloadId, WorkloadResult, WorkloadSizes } from "./workloads";

/** The machine a run was taken on. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly redisServer: string | undefined;
  readonly bullmq: string;
  /** 1-minute load average when the run started and ended (a loaded machine gives lower figures). */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

/** One peer's settings and its result per workload (absent: not run). */
export interface PeerRun {
  readonly settings: string;
  readonly results: Partial<Record<WorkloadId, WorkloadResult>>;
}

/** Everything one `pnpm bench:peers` run measured; written as latest.json. */
export interface RunResult {
  readonly schema: "mq-bench-peers/1";
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly machine: MachineInfo;
  readonly sizes: WorkloadSizes;
  /** Sizes of the Redis peers (BullMQ, @mq/redis); absent in runs before they existed. */
  readonly redisSizes?: WorkloadSizes;
  readonly payloadBytes: number;
  readonly fdatasync: FdatasyncFloor;
  readonly peers: Partial<Record<PeerId, PeerRun>>;
}
