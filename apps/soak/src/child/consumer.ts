import type { EventLog, EvDelivered, EvItem } from "@mq/core/testing";
import { classifyError } from "@mq/core/testing";
import type { Delivery, EnqueueItem, QueueHost } from "@mq/host";
import { QUEUES, type ChildConfig, type SoakPayload } from "./child-config";
import { Metrics } from "./metrics";

const CONSUMED = [QUEUES.jobs, QUEUES.latest, QUEUES.once, QUEUES.chain, QUEUES.poison] as const;

/** State shared by the consumers of one process. */
export interface ConsumerContext {
  readonly host: QueueHost;
  readonly log: EventLog;
  readonly cfg: ChildConfig;
  readonly metrics: Metrics;
  readonly running: () => boolean;
}

/** One consumer: receive from each queue in turn, then extend, nack or ack (some acks publish) what it got. */
export async function runConsumer(ctx: ConsumerContext, consumer: number): Promise<void> {
  const { host, log, cfg, running } = ctx;
  const name = `${cfg.gen}:c${consumer}`;
  let n = 0;
  let turn = consumer;
  while (running()) {
    const queue = CONSUMED[turn++ % CONSUMED.length]!;
    const rop = `${name}:r${n++}`;
    log.write({ k: "recv.invoke", rop, consumer: name, queue });
    let got: Delivery<SoakPayload>[];
    try {
      // The poison queue is read one message at a time, so a crash voids no other lease.
      got = await host.receive<SoakPayload>(queue, { max: queue === QUEUES.poison ? 1 : cfg.receiveMax, leaseMs: cfg.leaseMs, waitMs: 50 });
    } catch (error) {
      const { outcome, code } = classifyError(error);
      log.write({ k: outcome === "fail" ? "recv.fail" : "recv.info", rop, code });
      continue;
    }
    log.write({ k: "recv.ok", rop, d: got.map(toLogged(cfg.leaseMs)) });
    if (got.length === 0) continue;
    await handle(ctx, got, () => `${name}:a${n++}`);
  }
}

function toLogged(leaseMs: number): (d: Delivery<SoakPayload>) => EvDelivered {
  return (d) => ({
    id: d.message.id,
    tok: d.message.payload.tok,
    version: d.message.version,
    attempt: d.attempt,
    receipt: d.receipt,
    leaseMs,
    ...(d.message.availableAt === undefined ? {} : { availableAt: d.message.availableAt }),
    ...(d.message.expiresAt === undefined ? {} : { expiresAt: d.message.expiresAt }),
  });
}

async function handle(ctx: ConsumerContext, got: Delivery<SoakPayload>[], nextOp: () => string): Promise<void> {
  const { host, log, cfg } = ctx;
  const toAck: Delivery<SoakPayload>[] = [];
  for (const d of got) {
    if (d.message.payload.crash === true) {
      // Crash-poison: this message takes the whole process down, every time it is delivered.
      process.kill(process.pid, "SIGKILL");
      await new Promise(() => undefined);
    }
    if (Math.random() < cfg.extendRatio) await extend(host, log, d.receipt, cfg.leaseMs);
    const fail = d.message.payload.fail ?? 0;
    if (d.attempt <= fail) await nack(ctx, d);
    else toAck.push(d);
  }
  if (toAck.length === 0) return;
  // Acks of `jobs` messages sometimes publish follow-ups into `chain`, atomically with the ack.
  const withPublish = toAck.filter((d) => d.message.queue === QUEUES.jobs && Math.random() < cfg.publishRatio);
  const plain = toAck.filter((d) => !withPublish.includes(d));
  if (plain.length > 0) await ack(ctx, nextOp(), plain, []);
  for (const d of withPublish) {
    const aop = nextOp();
    const items: EnqueueItem<SoakPayload>[] = [];
    const count = 1 + Math.floor(Math.random() * 2);
    for (let i = 0; i < count; i++) items.push({ queue: QUEUES.chain, payload: { tok: `${aop}:pub${i}`, at: Date.now() }, priority: d.message.priority });
    await ack(ctx, aop, [d], items);
  }
}

async function extend(host: QueueHost, log: EventLog, receipt: string, leaseMs: number): Promise<void> {
  log.write({ k: "ext.invoke", receipt, leaseMs });
  try {
    await host.extend(receipt, leaseMs);
    log.write({ k: "ext.ok", receipt });
  } catch (error) {
    const { outcome, code } = classifyError(error);
    log.write({ k: outcome === "fail" ? "ext.fail" : "ext.info", receipt, code });
  }
}

async function nack(ctx: ConsumerContext, d: Delivery<SoakPayload>): Promise<void> {
  const { host, log, metrics } = ctx;
  // Exponential backoff: 20, 40, 80 … ms.
  const delayMs = 20 * 2 ** Math.min(6, d.attempt - 1);
  log.write({ k: "nack.invoke", receipt: d.receipt, delayMs });
  try {
    const out = await host.nack(d.receipt, { delayMs, reason: { name: "SoakFailure", message: `planned failure on attempt ${d.attempt}` } });
    log.write({ k: "nack.ok", receipt: d.receipt, action: out.action, attempts: out.attempts });
    metrics.nacked++;
  } catch (error) {
    const { outcome, code } = classifyError(error);
    log.write({ k: outcome === "fail" ? "nack.fail" : "nack.info", receipt: d.receipt, code });
  }
}

async function ack(ctx: ConsumerContext, aop: string, ds: Delivery<SoakPayload>[], publish: EnqueueItem<SoakPayload>[]): Promise<void> {
  const { host, log, metrics } = ctx;
  const receipts = ds.map((d) => d.receipt);
  const logged: EvItem[] = publish.map((p) => ({ tok: p.payload.tok, queue: QUEUES.chain, prio: p.priority ?? 0 }));
  log.write({ k: "ack.invoke", aop, receipts, ...(logged.length === 0 ? {} : { publish: logged }) });
  const started = performance.now();
  try {
    await host.ack(receipts, publish);
    log.write({ k: "ack.ok", aop });
    const now = Date.now();
    metrics.acked += ds.length;
    Metrics.push(metrics.ackMs, performance.now() - started);
    for (const d of ds) Metrics.push(metrics.e2e, now - d.message.payload.at);
  } catch (error) {
    const { outcome, code } = classifyError(error);
    log.write({ k: outcome === "fail" ? "ack.fail" : "ack.info", aop, code });
  }
}
