import type { DurabilityMode } from "@mq/host";

/** Every setting of a soak run (see `--help` and the README). */
export interface SoakOptions {
  readonly mode: "custom" | "short" | "s2" | "s3";
  readonly durationMs: number;
  readonly producers: number;
  readonly consumers: number;
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
  readonly durability: DurabilityMode;
  readonly segmentBytes: number;
  readonly snapshotEveryOps: number;
  /** SIGKILL the queue process this long after it is ready: [min, max] ms; [0, 0] disables kills. */
  readonly killEveryMs: readonly [number, number];
  /** Replace a SIGKILL by a graceful SIGTERM this often (0: never). */
  readonly sigtermEveryMs: number;
  /** SIGSTOP/SIGCONT episodes spread over the run, each longer than the lease. */
  readonly sigstops: number;
  /** Append a torn frame to the newest segment before every n-th restart (0: never). */
  readonly tornEvery: number;
  readonly crashPoison: boolean;
  /** Enqueue one crash-poison message this often. */
  readonly crashPoisonEveryMs: number;
  /** Run the M1 heap check. */
  readonly memCheck: boolean;
  readonly memIntervalMs: number;
  /** Largest acceptable heap slope after GC, MB per hour. */
  readonly memSlopeMaxMbPerHour: number;
  /** Fewer SIGKILLs than this make the run inconclusive (exit 3). */
  readonly minKills: number;
  readonly outDir: string;
  readonly keepData: boolean;
  readonly progress: "auto" | "bar" | "lines" | "off";
}

/** Defaults of a custom run (`--duration 60s` and nothing else). */
export const DEFAULTS: SoakOptions = {
  mode: "custom",
  durationMs: 60_000,
  producers: 2,
  consumers: 4,
  rate: 150,
  batchMax: 16,
  receiveMax: 16,
  payloadMin: 32,
  payloadMax: 1_024,
  keysReplace: 50,
  keysDrop: 500,
  dropWindowMs: 5_000,
  delayRatio: 0.1,
  maxDelayMs: 1_500,
  failRatio: 0.08,
  dlqRatio: 0.01,
  publishRatio: 0.1,
  extendRatio: 0.05,
  maxAttempts: 4,
  leaseMs: 2_000,
  durability: "batch",
  segmentBytes: 256 * 1024,
  snapshotEveryOps: 2_000,
  killEveryMs: [2_000, 5_000],
  sigtermEveryMs: 0,
  sigstops: 0,
  tornEvery: 0,
  crashPoison: false,
  crashPoisonEveryMs: 20_000,
  memCheck: false,
  memIntervalMs: 30_000,
  memSlopeMaxMbPerHour: 2,
  minKills: 0,
  outDir: "soak-results",
  keepData: false,
  progress: "auto",
};

/** The presets of reliability-anchors §5 rows S1, S2 and S3 (M1 included in S2 and S3). */
export const MODES: Readonly<Record<"short" | "s2" | "s3", Partial<SoakOptions>>> = {
  /** S1, the CI mode: 90 s, kills every 2–3.5 s (≥ 25), one SIGSTOP, torn tails, crash-poison. */
  short: { mode: "short", durationMs: 90_000, killEveryMs: [2_000, 3_500], sigstops: 1, tornEvery: 5, crashPoison: true, crashPoisonEveryMs: 30_000, minKills: 25 },
  /** S2: 1 hour, kills every 10–20 s (≥ 200), SIGTERM and SIGSTOP every 5 minutes, M1 ≤ 2 MB/h. */
  s2: {
    mode: "s2",
    durationMs: 3_600_000,
    killEveryMs: [10_000, 20_000],
    sigtermEveryMs: 300_000,
    sigstops: 12,
    tornEvery: 10,
    crashPoison: true,
    crashPoisonEveryMs: 300_000,
    memCheck: true,
    memSlopeMaxMbPerHour: 2,
    minKills: 200,
  },
  /** S3: 24 hours, kills every 30–130 s (≥ 1,000), SIGTERM and SIGSTOP hourly, M1 ≤ 1 MB/h. */
  s3: {
    mode: "s3",
    durationMs: 86_400_000,
    killEveryMs: [30_000, 130_000],
    sigtermEveryMs: 3_600_000,
    sigstops: 24,
    tornEvery: 20,
    crashPoison: true,
    crashPoisonEveryMs: 3_600_000,
    memCheck: true,
    memSlopeMaxMbPerHour: 1,
    minKills: 1_000,
  },
};
