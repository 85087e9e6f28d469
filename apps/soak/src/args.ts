import { parseArgs as parseNodeArgs } from "node:util";
import type { DurabilityMode } from "@mq/host";
import { parseDuration } from "./duration";
import { DEFAULTS, MODES, type SoakOptions } from "./options";

/** A command-line mistake: the CLI prints it with the help text and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The result of parsing: run with options, or print the help. */
export type ParsedArgs = { readonly help: true } | { readonly help: false; readonly options: SoakOptions };

const SPEC = {
  help: { type: "boolean", short: "h" },
  mode: { type: "string" },
  duration: { type: "string", short: "d" },
  producers: { type: "string" },
  consumers: { type: "string" },
  rate: { type: "string" },
  "batch-max": { type: "string" },
  "receive-max": { type: "string" },
  "payload-bytes": { type: "string" },
  "keys-replace": { type: "string" },
  "keys-drop": { type: "string" },
  "drop-window": { type: "string" },
  "delay-ratio": { type: "string" },
  "max-delay": { type: "string" },
  "fail-ratio": { type: "string" },
  "dlq-ratio": { type: "string" },
  "publish-ratio": { type: "string" },
  "extend-ratio": { type: "string" },
  "max-attempts": { type: "string" },
  lease: { type: "string" },
  durability: { type: "string" },
  "segment-bytes": { type: "string" },
  "snapshot-every-ops": { type: "string" },
  "kill-every": { type: "string" },
  "no-kill": { type: "boolean" },
  "sigterm-every": { type: "string" },
  sigstop: { type: "string" },
  "torn-tail": { type: "boolean" },
  "torn-every": { type: "string" },
  "crash-poison": { type: "boolean" },
  "crash-poison-every": { type: "string" },
  "mem-check": { type: "boolean" },
  "mem-interval": { type: "string" },
  "mem-slope-max": { type: "string" },
  "min-kills": { type: "string" },
  out: { type: "string" },
  "keep-data": { type: "boolean" },
  progress: { type: "string" },
} as const;

/** The `--help` text: every option with its default. */
export const HELP = `Usage: pnpm soak -- [options]

Runs the @mq host in a child process under load, kills and restarts it many
times, drains it, and checks the whole history for lost, phantom and
double-handled messages. Durations take ms, s, m, h, d (e.g. 500ms, 90s, 1h).

Modes (a mode sets defaults; later options override them):
  --mode short           S1, the CI mode: 90s, kill every 2s-3.5s (>= 25 kills),
                         1 SIGSTOP episode, torn tails, crash-poison on
  --mode s2              S2: 1h, kill every 10s-20s (>= 200), SIGTERM and SIGSTOP
                         every 5m, torn tails, crash-poison, M1 heap slope <= 2 MB/h
  --mode s3              S3: 24h, kill every 30s-130s (>= 1000), SIGTERM and SIGSTOP
                         hourly, torn tails, crash-poison, M1 heap slope <= 1 MB/h
  --mode custom          (default) the options below

Load:
  -d, --duration D       length of the chaos phase (default 60s)
  --producers N          producer loops (default 2)
  --consumers N          consumer loops (default 4)
  --rate N               messages per second over all producers, 0 = unpaced (default 150)
  --batch-max N          largest enqueue batch (default 16)
  --receive-max N        largest receive batch (default 16)
  --payload-bytes A-B    payload size range in bytes (default 32-1024)
  --keys-replace N       dedup keys of the replace-mode queue "latest" (default 50)
  --keys-drop N          dedup keys of the drop-mode queue "once" (default 500)
  --drop-window D        dedup window of "once" (default 5s)
  --delay-ratio R        share of delayed messages (default 0.1)
  --max-delay D          longest delay (default 1.5s)
  --fail-ratio R         share of messages whose handler fails 1-2 times, then succeeds (default 0.08)
  --dlq-ratio R          share of messages that always fail and are dead-lettered (default 0.01)
  --publish-ratio R      share of acks that publish follow-ups atomically (default 0.1)
  --extend-ratio R       share of deliveries whose lease is extended (default 0.05)
  --max-attempts N       deliveries before dead-lettering, every queue (default 4)
  --lease D              lease length (default 2s)
  --durability M         always | batch | interval | none (default batch)
  --segment-bytes N      journal segment size, small so kills land in rolls (default 262144)
  --snapshot-every-ops N snapshot trigger (default 2000)

Chaos:
  --kill-every A-B       SIGKILL the queue process A to B after it is ready (default 2s-5s)
  --no-kill              no SIGKILLs (load, drain and check only)
  --sigterm-every D      make a kill a graceful SIGTERM this often (default never)
  --sigstop N            SIGSTOP/SIGCONT episodes, each 2 leases + 1s long (default 0)
  --torn-tail            append a torn frame to the journal before every 5th restart
  --torn-every N         ... before every N-th restart (implies --torn-tail)
  --crash-poison         enqueue messages whose delivery SIGKILLs the process
  --crash-poison-every D one crash-poison message this often (default 20s)
  --min-kills N          fewer SIGKILLs than this = inconclusive, exit 3 (default 0)

Memory (M1):
  --mem-check            child runs with --expose-gc, heap sampled after gc()
  --mem-interval D       sampling period (default 30s)
  --mem-slope-max X      fail when the heap grows faster than X MB/h (default 2)

Output:
  --out DIR              results folder; each run writes DIR/<timestamp>/ (default soak-results)
  --keep-data            keep the data folder and event logs even when the run passes
  --progress P           auto | bar | lines | off (default auto: bar on a TTY)
  -h, --help             this text

Exit codes: 0 all checks passed; 1 a violation (printed with an example);
2 bad arguments; 3 inconclusive (too few kills, a process failed to start,
the drain did not finish).`;

const num = (name: string, text: string, { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true } = {}): number => {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, got "${text}"`);
  }
  return n;
};

const dur = (name: string, text: string): number => {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`, { cause: error });
  }
};

/** Parses `A-B` (or a single `A`) with `one` for each end. */
function range(name: string, text: string, one: (name: string, t: string) => number): [number, number] {
  const parts = text.split("-");
  if (parts.length > 2) throw new UsageError(`--${name} must be A-B, got "${text}"`);
  const lo = one(name, parts[0]!);
  const hi = parts[1] === undefined ? lo : one(name, parts[1]);
  if (hi < lo) throw new UsageError(`--${name}: ${parts[1]} is less than ${parts[0]}`);
  return [lo, hi];
}

/** Parses the command line (without the node and script entries) into soak options. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  let values: ReturnType<typeof parseNodeArgs<{ options: typeof SPEC; strict: true; allowPositionals: false }>>["values"];
  try {
    // `pnpm soak -- --x` passes the "--" through.
    ({ values } = parseNodeArgs({ args: argv.filter((a, i) => !(a === "--" && i === 0)), options: SPEC, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  if (values.help === true) return { help: true };
  const mode = values.mode ?? "custom";
  if (mode !== "custom" && mode !== "short" && mode !== "s2" && mode !== "s3") throw new UsageError(`--mode must be short, s2, s3 or custom, got "${mode}"`);
  const o: { -readonly [K in keyof SoakOptions]: SoakOptions[K] } = { ...DEFAULTS, ...(mode === "custom" ? {} : MODES[mode]) };
  const v = values;
  if (v.duration !== undefined) o.durationMs = dur("duration", v.duration);
  if (v.producers !== undefined) o.producers = num("producers", v.producers, { min: 0, max: 64 });
  if (v.consumers !== undefined) o.consumers = num("consumers", v.consumers, { min: 1, max: 64 });
  if (v.rate !== undefined) o.rate = num("rate", v.rate);
  if (v["batch-max"] !== undefined) o.batchMax = num("batch-max", v["batch-max"], { min: 1, max: 256 });
  if (v["receive-max"] !== undefined) o.receiveMax = num("receive-max", v["receive-max"], { min: 1, max: 1_000 });
  if (v["payload-bytes"] !== undefined) [o.payloadMin, o.payloadMax] = range("payload-bytes", v["payload-bytes"], (n, t) => num(n, t, { max: 1_000_000 }));
  if (v["keys-replace"] !== undefined) o.keysReplace = num("keys-replace", v["keys-replace"], { min: 1 });
  if (v["keys-drop"] !== undefined) o.keysDrop = num("keys-drop", v["keys-drop"], { min: 1 });
  if (v["drop-window"] !== undefined) o.dropWindowMs = dur("drop-window", v["drop-window"]);
  if (v["delay-ratio"] !== undefined) o.delayRatio = num("delay-ratio", v["delay-ratio"], { max: 1, integer: false });
  if (v["max-delay"] !== undefined) o.maxDelayMs = Math.max(10, dur("max-delay", v["max-delay"]));
  if (v["fail-ratio"] !== undefined) o.failRatio = num("fail-ratio", v["fail-ratio"], { max: 1, integer: false });
  if (v["dlq-ratio"] !== undefined) o.dlqRatio = num("dlq-ratio", v["dlq-ratio"], { max: 1, integer: false });
  if (v["publish-ratio"] !== undefined) o.publishRatio = num("publish-ratio", v["publish-ratio"], { max: 1, integer: false });
  if (v["extend-ratio"] !== undefined) o.extendRatio = num("extend-ratio", v["extend-ratio"], { max: 1, integer: false });
  if (v["max-attempts"] !== undefined) o.maxAttempts = num("max-attempts", v["max-attempts"], { min: 1, max: 100 });
  if (v.lease !== undefined) o.leaseMs = Math.max(100, dur("lease", v.lease));
  if (v.durability !== undefined) o.durability = durability(v.durability);
  if (v["segment-bytes"] !== undefined) o.segmentBytes = num("segment-bytes", v["segment-bytes"], { min: 4_096 });
  if (v["snapshot-every-ops"] !== undefined) o.snapshotEveryOps = num("snapshot-every-ops", v["snapshot-every-ops"]);
  if (v["kill-every"] !== undefined) o.killEveryMs = range("kill-every", v["kill-every"], dur);
  if (v["no-kill"] === true) o.killEveryMs = [0, 0];
  if (v["sigterm-every"] !== undefined) o.sigtermEveryMs = dur("sigterm-every", v["sigterm-every"]);
  if (v.sigstop !== undefined) o.sigstops = num("sigstop", v.sigstop, { max: 10_000 });
  if (v["torn-tail"] === true && o.tornEvery === 0) o.tornEvery = 5;
  if (v["torn-every"] !== undefined) o.tornEvery = num("torn-every", v["torn-every"], { min: 1 });
  if (v["crash-poison"] === true) o.crashPoison = true;
  if (v["crash-poison-every"] !== undefined) o.crashPoisonEveryMs = Math.max(1_000, dur("crash-poison-every", v["crash-poison-every"]));
  if (v["mem-check"] === true) o.memCheck = true;
  if (v["mem-interval"] !== undefined) o.memIntervalMs = Math.max(100, dur("mem-interval", v["mem-interval"]));
  if (v["mem-slope-max"] !== undefined) o.memSlopeMaxMbPerHour = num("mem-slope-max", v["mem-slope-max"], { integer: false });
  if (v["min-kills"] !== undefined) o.minKills = num("min-kills", v["min-kills"]);
  if (v.out !== undefined) o.outDir = v.out;
  if (v["keep-data"] === true) o.keepData = true;
  if (v.progress !== undefined) {
    if (!["auto", "bar", "lines", "off"].includes(v.progress)) throw new UsageError(`--progress must be auto, bar, lines or off, got "${v.progress}"`);
    o.progress = v.progress as SoakOptions["progress"];
  }
  if (o.durationMs < 1_000) throw new UsageError("--duration must be at least 1s");
  if (o.payloadMin > o.payloadMax) throw new UsageError("--payload-bytes: min is above max");
  return { help: false, options: o };
}

function durability(text: string): DurabilityMode {
  if (text === "always" || text === "batch" || text === "interval" || text === "none") return text;
  throw new UsageError(`--durability must be always, batch, interval or none, got "${text}"`);
}
