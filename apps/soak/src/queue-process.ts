/**
 * One life of the queue host under load, run as a child process by the soak
 * supervisor. Writes its own event log (the checker's source of truth), prints
 * JSON lines on stdout (ready with the RecoveryReport, progress ticks, heap
 * samples), and runs until killed, or, in drain mode, until the queues are empty.
 */
import { createEventLog } from "@mq/core/testing";
import { createQueueHost } from "@mq/host";
import { QUEUES, type ChildConfig, type ChildLine, type SoakPayload } from "./child/child-config";
import { runConsumer } from "./child/consumer";
import { waitUntilEmpty, writeFinal } from "./child/drain";
import { hostOptions } from "./child/host-options";
import { Metrics } from "./child/metrics";
import { enqueueLogged, runProducer } from "./child/producer";

const cfg = JSON.parse(process.argv[2] ?? "{}") as ChildConfig;
const emit = (line: ChildLine): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

const log = createEventLog(cfg.logFile);
const spawnedAt = performance.now();
const host = createQueueHost(hostOptions(cfg));
const recovery = await host.start();
emit({
  type: "ready",
  gen: cfg.gen,
  startMs: performance.now() - spawnedAt,
  recovery: {
    durationMs: recovery?.durationMs ?? 0,
    framesReplayed: recovery?.framesReplayed ?? 0,
    snapshotLsn: recovery?.snapshotLsn ?? 0,
    lastLsn: recovery?.lastLsn ?? 0,
    ...(recovery?.truncated === undefined ? {} : { truncated: recovery.truncated }),
  },
});

let running = true;
const metrics = new Metrics();
const timers: NodeJS.Timeout[] = [];
timers.push(setInterval(() => emit({ type: "tick", gen: cfg.gen, ...metrics.take() }), cfg.tickMs));
if (cfg.memIntervalMs > 0) {
  const gc = (globalThis as { gc?: () => void }).gc;
  timers.push(
    setInterval(() => {
      gc?.();
      const m = process.memoryUsage();
      emit({ type: "mem", gen: cfg.gen, heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers });
    }, cfg.memIntervalMs),
  );
}

const ctx = { host, log, cfg, metrics, running: () => running };
const workers: Promise<void>[] = [];
for (let c = 0; c < cfg.consumers; c++) workers.push(runConsumer(ctx, c));
if (!cfg.drain) {
  for (let p = 0; p < cfg.producers; p++) workers.push(runProducer(host, log, cfg, p, metrics, () => running));
  if (cfg.poisonToEnqueue > 0) {
    // Enqueued a moment after start, so the load is already running when the process dies.
    timers.push(
      setTimeout(() => {
        for (let i = 0; i < cfg.poisonToEnqueue; i++) {
          const tok = `${cfg.gen}:poison:${i}`;
          const payload: SoakPayload = { tok, at: Date.now(), crash: true };
          void enqueueLogged(host, log, `${cfg.gen}:poison:op${i}`, [{ queue: QUEUES.poison, payload }], [{ tok, queue: QUEUES.poison, prio: 0 }], metrics);
        }
      }, 300),
    );
  }
}

async function shutdown(code: number): Promise<never> {
  running = false;
  for (const t of timers) clearInterval(t);
  await Promise.allSettled(workers);
  await host.stop();
  log.close();
  process.exit(code);
}

process.on("SIGTERM", () => void shutdown(0));

if (cfg.drain) {
  try {
    const polls = await waitUntilEmpty(host, cfg.drainPollMs, 10 * 60_000);
    running = false;
    await Promise.allSettled(workers);
    const dlq = await writeFinal(host, log);
    emit({ type: "tick", gen: cfg.gen, ...metrics.take() });
    emit({ type: "drained", gen: cfg.gen, dlq: dlq.length, polls });
    await shutdown(0);
  } catch (error) {
    emit({ type: "error", gen: cfg.gen, message: (error as Error).message });
    await shutdown(3);
  }
}
