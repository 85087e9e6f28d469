import type { EventLog, EvItem } from "@mq/core/testing";
import { classifyError } from "@mq/core/testing";
import type { EnqueueItem, QueueHost } from "@mq/host";
import { QUEUES, type ChildConfig, type SoakPayload } from "./child-config";
import { Metrics } from "./metrics";

const int = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));

/** Builds one enqueue batch: items with unique tokens, distinct keys, random priorities, some delays and failures. */
export function makeBatch(cfg: ChildConfig, producer: number, nextSeq: () => number): { items: EnqueueItem<SoakPayload>[]; logged: EvItem[] } {
  const n = int(1, cfg.batchMax);
  const items: EnqueueItem<SoakPayload>[] = [];
  const logged: EvItem[] = [];
  const usedKeys = new Set<string>();
  for (let i = 0; i < n; i++) {
    const tok = `${cfg.gen}:p${producer}:${nextSeq()}`;
    const r = Math.random();
    const queue = r < 0.7 ? QUEUES.jobs : r < 0.85 ? QUEUES.latest : QUEUES.once;
    let key: string | undefined;
    if (queue === QUEUES.latest) key = `L${int(0, cfg.keysReplace - 1)}`;
    if (queue === QUEUES.once) key = `D${int(0, cfg.keysDrop - 1)}`;
    // Two items with one key in one batch would make the batch's outcome depend on item order; keep keys distinct.
    if (key !== undefined && usedKeys.has(key)) continue;
    if (key !== undefined) usedKeys.add(key);
    const prio = int(0, 9);
    const delayMs = Math.random() < cfg.delayRatio ? int(10, cfg.maxDelayMs) : undefined;
    const f = Math.random();
    const fail = queue !== QUEUES.jobs ? undefined : f < cfg.dlqRatio ? cfg.maxAttempts : f < cfg.dlqRatio + cfg.failRatio ? int(1, Math.max(1, cfg.maxAttempts - 2)) : undefined;
    const padLen = Math.max(0, int(cfg.payloadMin, cfg.payloadMax) - 40);
    const payload: SoakPayload = { tok, at: Date.now(), ...(fail === undefined ? {} : { fail }), ...(padLen > 0 ? { pad: "x".repeat(padLen) } : {}) };
    items.push({ queue, payload, priority: prio, ...(key === undefined ? {} : { key }), ...(delayMs === undefined ? {} : { delayMs }) });
    logged.push({
      tok,
      queue,
      prio,
      ...(key === undefined ? {} : { key, mode: queue === QUEUES.once ? ("drop" as const) : ("replace" as const) }),
      ...(delayMs === undefined ? {} : { delayMs }),
    });
  }
  return { items, logged };
}

/** Enqueues a batch with the invoke / ok / fail / info lines around it. */
export async function enqueueLogged(host: QueueHost, log: EventLog, op: string, items: EnqueueItem<SoakPayload>[], logged: EvItem[], metrics: Metrics): Promise<void> {
  log.write({ k: "enq.invoke", op, queue: items[0]?.queue ?? QUEUES.jobs, items: logged });
  const started = performance.now();
  try {
    const results = await host.enqueueBatch(items);
    log.write({ k: "enq.ok", op, results: results.map((r, i) => ({ tok: logged[i]!.tok, id: r.id, result: r.status, version: r.version })) });
    metrics.enqueued += results.length;
    Metrics.push(metrics.enqMs, performance.now() - started);
  } catch (error) {
    const { outcome, code } = classifyError(error);
    log.write(outcome === "fail" ? { k: "enq.fail", op, code } : { k: "enq.info", op, code });
  }
}

/** One producer: batches at its share of the rate until `running()` is false. */
export async function runProducer(host: QueueHost, log: EventLog, cfg: ChildConfig, producer: number, metrics: Metrics, running: () => boolean): Promise<void> {
  let seq = 0;
  const perSecond = cfg.rate / cfg.producers;
  const started = performance.now();
  let sent = 0;
  while (running()) {
    const { items, logged } = makeBatch(cfg, producer, () => seq++);
    if (items.length === 0) continue;
    await enqueueLogged(host, log, `${cfg.gen}:p${producer}:op${seq}`, items, logged, metrics);
    sent += items.length;
    if (perSecond > 0) {
      // Pace to the rate: wait until this many messages are due.
      const due = started + (sent / perSecond) * 1_000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    } else await new Promise((r) => setImmediate(r));
  }
}
