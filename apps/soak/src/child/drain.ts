import type { EventLog, EvDeadLetter } from "@mq/core/testing";
import type { QueueHost } from "@mq/host";
import { QUEUES, type SoakPayload } from "./child-config";

/**
 * Waits until every queue shows ready = inFlight = delayed = 0 on three polls
 * in a row, `pollMs` apart (the caller's consumers keep running meanwhile).
 */
export async function waitUntilEmpty(host: QueueHost, pollMs: number, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  let quiet = 0;
  let polls = 0;
  while (quiet < 3) {
    if (Date.now() > end) throw new Error(`drain did not empty the queues within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, quiet === 0 ? Math.min(pollMs, 250) : pollMs));
    const s = await totals(host);
    polls++;
    quiet = s.ready + s.inFlight + s.delayed === 0 ? quiet + 1 : 0;
  }
  return polls;
}

/** Lists every dead letter (all pages) in the shape of the `final` event. */
export async function listDeadLetters(host: QueueHost): Promise<EvDeadLetter[]> {
  const out: EvDeadLetter[] = [];
  let cursor: string | undefined;
  do {
    const page = await host.deadLetters.list({ limit: 1_000, ...(cursor === undefined ? {} : { cursor }) });
    for (const dl of page.items) {
      const payload = dl.message.payload as SoakPayload;
      out.push({ id: dl.message.id, tok: payload.tok, version: dl.message.version, reason: dl.reason, attempts: dl.message.attempts });
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}

/** Writes the `final` event: the DLQ listing and the (empty) stats. */
export async function writeFinal(host: QueueHost, log: EventLog): Promise<EvDeadLetter[]> {
  const dlq = await listDeadLetters(host);
  const s = await totals(host);
  log.write({ k: "final", dlq, expired: [], purged: [], stats: { ready: s.ready, inflight: s.inFlight, delayed: s.delayed } });
  return dlq;
}

/** Ready, in-flight and delayed counts summed over the workload's queues (asked one by one, so nothing depends on how "all queues" is spelled). */
export async function totals(host: QueueHost): Promise<{ ready: number; inFlight: number; delayed: number }> {
  const all = await Promise.all(Object.values(QUEUES).map((q) => host.stats(q)));
  return all.reduce((a, s) => ({ ready: a.ready + s.ready, inFlight: a.inFlight + s.inFlight, delayed: a.delayed + s.delayed }), { ready: 0, inFlight: 0, delayed: 0 });
}
