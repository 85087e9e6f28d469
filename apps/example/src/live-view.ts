import type { QueueHost, QueueStats } from "@mq/host";

const QUEUES = ["orders", "inventory", "payments", "shipping", "follow-ups"] as const;

/** One row of the live view and the summary. */
export interface QueueRow {
  readonly queue: string;
  readonly stats: QueueStats;
  readonly ratePerSec: number;
}

/** Reads the current stats of every queue of the workflow. */
export async function readRows(host: QueueHost, previous: Map<string, number>, elapsedMs: number): Promise<QueueRow[]> {
  const rows: QueueRow[] = [];
  for (const queue of QUEUES) {
    const stats = await host.stats(queue);
    const before = previous.get(queue) ?? stats.totals.acked;
    previous.set(queue, stats.totals.acked);
    rows.push({ queue, stats, ratePerSec: elapsedMs > 0 ? ((stats.totals.acked - before) * 1000) / elapsedMs : 0 });
  }
  return rows;
}

/** Renders rows as a fixed-width table. */
export function renderTable(rows: readonly QueueRow[]): string {
  const head = ["queue", "ready", "delayed", "in flight", "done", "retried", "dead", "msg/s"];
  const body = rows.map((r) => [
    r.queue,
    String(r.stats.ready),
    String(r.stats.delayed),
    String(r.stats.inFlight),
    String(r.stats.totals.acked),
    String(r.stats.totals.retried),
    String(r.stats.deadLettered),
    r.ratePerSec.toFixed(0),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/**
 * Redraws the table in place on a terminal; elsewhere (CI, pipes) prints a
 * compact line every few seconds so logs stay readable.
 */
export function startLiveView(host: QueueHost, header: () => string, options: { quiet: boolean }): { stop(): Promise<void> } {
  const tty = process.stdout.isTTY === true && !options.quiet;
  const previous = new Map<string, number>();
  let last = Date.now();
  let drawnLines = 0;
  let lastPlain = 0;
  let busy = false;
  const draw = async (): Promise<void> => {
    if (busy || options.quiet) return;
    busy = true;
    try {
      const now = Date.now();
      const rows = await readRows(host, previous, now - last);
      last = now;
      if (tty) {
        const text = `${header()}\n${renderTable(rows)}`;
        if (drawnLines > 0) process.stdout.write(`\u001b[${drawnLines}A\u001b[0J`);
        process.stdout.write(`${text}\n`);
        drawnLines = text.split("\n").length;
      } else if (now - lastPlain >= 2_000) {
        lastPlain = now;
        console.log(`${header()} | ${rows.map((r) => `${r.queue} ${r.stats.totals.acked} done/${r.stats.ready + r.stats.delayed + r.stats.inFlight} open`).join(", ")}`);
      }
    } catch {
      // The host may be stopping; the next tick (if any) tries again.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void draw(), tty ? 200 : 500);
  return {
    async stop() {
      clearInterval(timer);
      await draw();
    },
  };
}

export { QUEUES };
