import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { createEventLog, type EventLog } from "@mq/core/testing";
import type { ChildConfig, ChildLine, RecoveryLine } from "./child/child-config";
import { bundleQueueProcess } from "./child-bundle";
import { spawnQueueProcess, type ChildExit, type ChildHandle } from "./child-handle";
import type { SoakOptions } from "./options";
import { Reservoir } from "./stats";
import { appendTornTail, TORN_KINDS, type TornTail } from "./torn-tail";

/** A run that cannot be judged (a process failed to start, the drain never finished): exit 3. */
export class InconclusiveError extends Error {
  override readonly name = "InconclusiveError";
}

/** One start of the queue process. */
export interface RestartRecord {
  readonly gen: number;
  /** Ms since the run began, when the process was ready. */
  readonly atMs: number;
  /** Spawn to ready, as the parent saw it (process start, module load, recovery). */
  readonly startMs: number;
  readonly recovery: RecoveryLine;
  readonly drain: boolean;
}

/** How a queue process life ended. */
export interface KillRecord {
  readonly gen: number;
  readonly atMs: number;
  /** `sigkill` by the parent, `self` (crash-poison killed itself), `sigterm` (graceful stop). */
  readonly kind: "sigkill" | "self" | "sigterm";
}

/** A torn frame appended between runs, and whether recovery cut it off. */
export interface TornRecord extends TornTail {
  readonly gen: number;
  readonly truncated: boolean;
  readonly reported?: RecoveryLine["truncated"];
}

/** One second of load, summed over processes. */
export interface SecondSample {
  readonly second: number;
  enqueued: number;
  acked: number;
  nacked: number;
  e2e: number[];
}

/** Everything the supervisor observed; the checker's input is in `logFiles`. */
export interface SoakRun {
  readonly startedAt: string;
  readonly chaosMs: number;
  readonly totalMs: number;
  readonly restarts: readonly RestartRecord[];
  readonly kills: readonly KillRecord[];
  readonly sigstops: readonly { readonly gen: number; readonly atMs: number; readonly stoppedMs: number }[];
  readonly torn: readonly TornRecord[];
  readonly poisonEnqueued: number;
  readonly seconds: readonly SecondSample[];
  readonly latency: { readonly e2e: number[]; readonly enqueue: number[]; readonly ack: number[] };
  readonly mem: readonly { readonly gen: number; readonly atMs: number; readonly heapUsed: number; readonly rss: number }[];
  readonly drain: { readonly polls: number; readonly dlq: number; readonly attempts: number };
  readonly logFiles: readonly string[];
}

/** Live figures for the progress display. */
export interface Progress {
  readonly phase: "chaos" | "drain";
  readonly elapsedMs: number;
  readonly chaosMs: number;
  readonly gen: number;
  readonly kills: number;
  readonly enqueued: number;
  readonly acked: number;
  /** Acks per second over the last 5 seconds. */
  readonly rate: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const uniform = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);

/** Drives the queue process through the chaos phase and the drain, recording what happened. */
export async function runSoak(options: SoakOptions, runDir: string, onProgress: (p: Progress) => void = () => undefined): Promise<SoakRun> {
  const dataDir = path.join(runDir, "data");
  const logDir = path.join(runDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const script = await bundleQueueProcess();
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const parentLogFile = path.join(logDir, "parent.jsonl");
  const parentLog = createEventLog(parentLogFile);
  const logFiles = [parentLogFile];

  const restarts: RestartRecord[] = [];
  const kills: KillRecord[] = [];
  const sigstops: { gen: number; atMs: number; stoppedMs: number }[] = [];
  const torn: TornRecord[] = [];
  const seconds: SecondSample[] = [];
  const mem: { gen: number; atMs: number; heapUsed: number; rss: number }[] = [];
  const latency = { e2e: new Reservoir(20_000), enqueue: new Reservoir(20_000), ack: new Reservoir(20_000) };
  let enqueued = 0;
  let acked = 0;
  let drainLine: Extract<ChildLine, { type: "drained" }> | undefined;
  let phase: Progress["phase"] = "chaos";
  let gen = 0;

  const onLine = (line: ChildLine): void => {
    if (line.type === "tick") {
      const s = Math.floor(now() / 1_000);
      while (seconds.length <= s) seconds.push({ second: seconds.length, enqueued: 0, acked: 0, nacked: 0, e2e: [] });
      const bucket = seconds[s]!;
      bucket.enqueued += line.enqueued;
      bucket.acked += line.acked;
      bucket.nacked += line.nacked;
      if (bucket.e2e.length < 400) bucket.e2e.push(...line.e2e);
      enqueued += line.enqueued;
      acked += line.acked;
      for (const v of line.e2e) latency.e2e.add(v);
      for (const v of line.enqMs) latency.enqueue.add(v);
      for (const v of line.ackMs) latency.ack.add(v);
    } else if (line.type === "mem") mem.push({ gen: line.gen, atMs: now(), heapUsed: line.heapUsed, rss: line.rss });
    else if (line.type === "drained") drainLine = line;
  };
  const progress = (): void => {
    const last = seconds.slice(-6, -1);
    onProgress({ phase, elapsedMs: now(), chaosMs: options.durationMs, gen, kills: kills.filter((k) => k.kind !== "sigterm").length, enqueued, acked, rate: last.length === 0 ? 0 : last.reduce((a, s) => a + s.acked, 0) / last.length });
  };
  const ticker = setInterval(progress, 250);

  const start = async (cfg: ChildConfig, drain: boolean): Promise<ChildHandle> => {
    logFiles.push(cfg.logFile);
    const spawned = now();
    const child = spawnQueueProcess(script, cfg, onLine, { exposeGc: options.memCheck });
    let ready;
    try {
      ready = await ready_(child);
    } catch (error) {
      throw new InconclusiveError((error as Error).message, { cause: error });
    }
    restarts.push({ gen: cfg.gen, atMs: now(), startMs: now() - spawned, recovery: ready.recovery, drain });
    parentLog.write({ k: "restart", gen: cfg.gen, recoveryMs: ready.recovery.durationMs });
    return child;
  };
  const died = (child: ChildHandle, kind: KillRecord["kind"], log: EventLog): void => {
    kills.push({ gen, atMs: now(), kind });
    // Logged after the process is reaped: everything it wrote precedes this line.
    if (kind !== "sigterm") log.write({ k: "crash", gen });
    void child;
  };

  try {
    const chaosEnd = options.durationMs;
    const stopAt = Array.from({ length: options.sigstops }, (_, i) => ((i + 1) * chaosEnd) / (options.sigstops + 1));
    // The first crash-poison message comes early enough that even a short run sees all its crashes.
    let nextPoisonAt = Math.min(options.crashPoisonEveryMs * 0.3, chaosEnd * 0.2);
    let lastSigterm = 0;
    let poisonEnqueued = 0;
    while (now() < chaosEnd) {
      gen++;
      let tornTail: TornTail | undefined;
      if (options.tornEvery > 0 && gen > 1 && (gen - 1) % options.tornEvery === 0) {
        tornTail = appendTornTail(dataDir, TORN_KINDS[torn.length % TORN_KINDS.length]!);
      }
      const poison = options.crashPoison && now() >= nextPoisonAt && chaosEnd - now() > Math.min(15_000, chaosEnd / 4) ? 1 : 0;
      if (poison > 0) nextPoisonAt = now() + options.crashPoisonEveryMs;
      poisonEnqueued += poison;
      const child = await start(childConfig(options, runDir, gen, { drain: false, poison }), false);
      const recovery = restarts.at(-1)!.recovery;
      if (tornTail !== undefined) torn.push({ ...tornTail, gen, truncated: recovery.truncated !== undefined, ...(recovery.truncated === undefined ? {} : { reported: recovery.truncated }) });

      const killing = options.killEveryMs[1] > 0;
      let deadline = killing ? Math.min(chaosEnd, now() + uniform(...options.killEveryMs)) : chaosEnd;
      let ended = false;
      void child.exited.then(() => (ended = true));
      const nextStop = stopAt[0];
      if (nextStop !== undefined && nextStop <= deadline) {
        await exitWithin(child, Math.max(0, nextStop - now()));
        if (!ended) {
          stopAt.shift();
          const stoppedMs = 2 * options.leaseMs + 1_000;
          sigstops.push({ gen, atMs: now(), stoppedMs });
          child.process.kill("SIGSTOP");
          await sleep(stoppedMs);
          child.process.kill("SIGCONT");
          deadline = killing ? Math.min(chaosEnd, now() + uniform(...options.killEveryMs)) : chaosEnd;
        }
      }
      await exitWithin(child, Math.max(0, deadline - now()));
      if (ended) {
        await child.exited;
        died(child, "self", parentLog);
        continue;
      }
      if (options.sigtermEveryMs > 0 && now() - lastSigterm >= options.sigtermEveryMs && now() < chaosEnd) {
        lastSigterm = now();
        child.process.kill("SIGTERM");
        const out = await exitWithin(child, 15_000);
        if (out === undefined) {
          child.process.kill("SIGKILL");
          await child.exited;
          died(child, "sigkill", parentLog);
        } else died(child, out.signal === "SIGKILL" ? "self" : "sigterm", parentLog);
        continue;
      }
      child.process.kill("SIGKILL");
      const out = await child.exited;
      // It may have killed itself (crash-poison) in the same instant.
      died(child, out.signal === "SIGKILL" ? "sigkill" : "self", parentLog);
    }

    // The drain: a clean process (no kills, no producers) consumes until the queues stay empty.
    phase = "drain";
    const chaosMs = now();
    let attempts = 0;
    for (;;) {
      attempts++;
      gen++;
      const child = await start(childConfig(options, runDir, gen, { drain: true, poison: 0 }), true);
      const out = await child.exited;
      if (out.code === 0 && drainLine !== undefined) break;
      if (out.signal === "SIGKILL" && attempts <= options.maxAttempts + 2) {
        // A crash-poison message still waiting kills the drain too, at most maxAttempts times.
        died(child, "self", parentLog);
        continue;
      }
      throw new InconclusiveError(`the drain process ended with code ${String(out.code)} / ${String(out.signal)}: ${child.stderr().trim().split("\n").slice(-6).join("\n")}`);
    }
    progress();
    return {
      startedAt: new Date(Date.now() - now()).toISOString(),
      chaosMs,
      totalMs: now(),
      restarts,
      kills,
      sigstops,
      torn,
      poisonEnqueued,
      seconds,
      latency: { e2e: latency.e2e.values(), enqueue: latency.enqueue.values(), ack: latency.ack.values() },
      mem,
      drain: { polls: drainLine.polls, dlq: drainLine.dlq, attempts },
      logFiles,
    };
  } finally {
    clearInterval(ticker);
    parentLog.close();
    rmSync(script, { force: true });
  }
}

/** The child's ready line; a process that is not ready within a minute is killed. */
async function ready_(child: ChildHandle): Promise<Extract<ChildLine, { type: "ready" }>> {
  const timer = setTimeout(() => child.process.kill("SIGKILL"), 60_000);
  try {
    return await child.ready;
  } finally {
    clearTimeout(timer);
  }
}

/** The exit of `child`, or undefined when it has not ended within `ms`. */
async function exitWithin(child: ChildHandle, ms: number): Promise<ChildExit | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const out = await Promise.race([child.exited, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  clearTimeout(timer);
  return out;
}

/** The child's settings for generation `gen`. */
export function childConfig(o: SoakOptions, runDir: string, gen: number, { drain, poison }: { drain: boolean; poison: number }): ChildConfig {
  return {
    gen,
    dataDir: path.join(runDir, "data"),
    logFile: path.join(runDir, "logs", `gen-${String(gen).padStart(5, "0")}.jsonl`),
    durability: o.durability,
    segmentBytes: o.segmentBytes,
    snapshotEveryOps: o.snapshotEveryOps,
    producers: o.producers,
    consumers: o.consumers,
    rate: o.rate,
    batchMax: o.batchMax,
    receiveMax: o.receiveMax,
    payloadMin: o.payloadMin,
    payloadMax: o.payloadMax,
    keysReplace: o.keysReplace,
    keysDrop: o.keysDrop,
    dropWindowMs: o.dropWindowMs,
    delayRatio: o.delayRatio,
    maxDelayMs: o.maxDelayMs,
    failRatio: o.failRatio,
    dlqRatio: o.dlqRatio,
    publishRatio: o.publishRatio,
    extendRatio: o.extendRatio,
    maxAttempts: o.maxAttempts,
    leaseMs: o.leaseMs,
    poisonToEnqueue: poison,
    drain,
    drainPollMs: 2 * o.leaseMs,
    memIntervalMs: o.memCheck ? o.memIntervalMs : 0,
    tickMs: 1_000,
  };
}
