import type { DurabilityMode } from "@mq/host";

/** Queue names the workload uses. */
export const QUEUES = {
  /** Plain work: failures, retries, dead letters, ack+publish. */
  jobs: "jobs",
  /** Keyed, `replace` mode: the latest value for a key replaces one still waiting. */
  latest: "latest",
  /** Keyed, `drop` mode: a key blocks duplicates within the window. */
  once: "once",
  /** Messages published atomically with an ack of `jobs`. */
  chain: "chain",
  /** Crash-poison messages: the consumer that receives one kills its own process. */
  poison: "poison",
} as const;

/** Everything one queue process needs; the parent passes it as JSON. */
export interface ChildConfig {
  readonly gen: number;
  readonly dataDir: string;
  readonly logFile: string;
  readonly durability: DurabilityMode;
  readonly segmentBytes: number;
  readonly snapshotEveryOps: number;
  readonly producers: number;
  readonly consumers: number;
  /** Messages per second over all producers (0: as fast as possible). */
  readonly rate: number;
  readonly batchMax: number;
  readonly receiveMax: number;
  readonly payloadMin: number;
  readonly payloadMax: number;
  readonly keysReplace: number;
  readonly keysDrop: number;
  readonly dropWindowMs: number;
  readonly delayRatio: number;
  readonly maxDelayMs: number;
  readonly failRatio: number;
  readonly dlqRatio: number;
  readonly publishRatio: number;
  readonly extendRatio: number;
  readonly maxAttempts: number;
  readonly leaseMs: number;
  /** Crash-poison messages to enqueue soon after start. */
  readonly poisonToEnqueue: number;
  /** Drain mode: no producers; consume until empty, then write the `final` event and exit 0. */
  readonly drain: boolean;
  /** Spacing of the drain's emptiness polls. */
  readonly drainPollMs: number;
  /** Heap samples after gc() this often (0: off; needs --expose-gc). */
  readonly memIntervalMs: number;
  /** Progress lines this often. */
  readonly tickMs: number;
}

/** What the payload of every workload message carries. */
export interface SoakPayload {
  /** Unique token (also in the event log), `gen:producer:seq`. */
  readonly tok: string;
  /** Wall-clock ms when the enqueue was invoked (for end-to-end latency). */
  readonly at: number;
  /** The handler fails (nacks) while the attempt number is at most this. */
  readonly fail?: number;
  /** Receiving it kills the receiving process (crash-poison). */
  readonly crash?: true;
  /** Padding to the configured payload size. */
  readonly pad?: string;
}

/** Lines the queue process prints on stdout, one JSON object each. */
export type ChildLine =
  | { readonly type: "ready"; readonly gen: number; readonly recovery: RecoveryLine; readonly startMs: number }
  | { readonly type: "tick"; readonly gen: number; readonly enqueued: number; readonly acked: number; readonly nacked: number; readonly e2e: readonly number[]; readonly enqMs: readonly number[]; readonly ackMs: readonly number[] }
  | { readonly type: "mem"; readonly gen: number; readonly heapUsed: number; readonly rss: number; readonly external: number; readonly arrayBuffers: number }
  | { readonly type: "drained"; readonly gen: number; readonly dlq: number; readonly polls: number }
  | { readonly type: "error"; readonly gen: number; readonly message: string };

/** The parts of the RecoveryReport the parent records. */
export interface RecoveryLine {
  readonly durationMs: number;
  readonly framesReplayed: number;
  readonly snapshotLsn: number;
  readonly lastLsn: number;
  readonly truncated?: { readonly file: string; readonly offset: number; readonly bytes: number };
}
