// Ordering groups end to end: a drain through host.handle (no-op handler,
// parallelism 64) and through receive(max 100) + ack, with no groups, 100,000
// groups of one message, 100 groups, and one group. `batch` durability on the
// file journal, 256-byte payloads, counted at durable ack.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { report, type BenchRow } from "@mq-tooling/bench/report";
import { createQueueHost, type EnqueueItem, type QueueHost } from "../src/index";

const quick = process.env.MQ_BENCH_QUICK === "1";
const N = quick ? 20_000 : 100_000;
/** One group delivers one message per durable ack round trip: fewer messages keep the row short. */
const ONE_GROUP_N = quick ? 2_000 : 10_000;
const payload = { body: "x".repeat(240), n: 0 };
const rows: BenchRow[] = [];

interface Shape {
  readonly label: string;
  readonly messages: number;
  readonly group: (i: number) => string | undefined;
}

const SHAPES: readonly Shape[] = [
  { label: "ungrouped", messages: N, group: () => undefined },
  { label: "100,000 groups × 1", messages: 100_000, group: (i) => `g${i}` },
  { label: "100 groups", messages: N, group: (i) => `g${i % 100}` },
  { label: "1 group", messages: ONE_GROUP_N, group: () => "only" },
];

async function withHost(fn: (host: QueueHost) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "mq-groups-bench-"));
  const host = createQueueHost({ dataDir: dir, snapshot: { everyOps: 0, everyMs: 0, onClose: false } });
  try {
    await fn(host);
  } finally {
    await host.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fill(host: QueueHost, queue: string, shape: Shape): Promise<void> {
  for (let at = 0; at < shape.messages; at += 1_000) {
    const batch: EnqueueItem[] = [];
    for (let i = at; i < Math.min(at + 1_000, shape.messages); i++) {
      const group = shape.group(i);
      batch.push(group === undefined ? { queue, payload } : { queue, payload, group });
    }
    await host.enqueueBatch(batch);
  }
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

async function handled(shape: Shape): Promise<void> {
  await withHost(async (host) => {
    await host.start();
    await fill(host, "g", shape);
    let done = 0;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((r) => (finish = r));
    const start = process.hrtime.bigint();
    host.handle("g", () => {
      if (++done === shape.messages) finish();
    }, { maxParallelism: 64 });
    await finished;
    // Counted at durable ack: wait until the last acks are in the journal.
    while ((await host.stats("g")).totals.acked < shape.messages) await new Promise((r) => setImmediate(r));
    rows.push({ name: `host.handle no-op, parallelism 64, ${shape.label} (${shape.messages.toLocaleString("en-US")} msgs)`, value: shape.messages / seconds(start), unit: "msg/s" });
  });
}

async function pulled(shape: Shape): Promise<void> {
  await withHost(async (host) => {
    await host.start();
    await fill(host, "p", shape);
    const start = process.hrtime.bigint();
    let done = 0;
    while (done < shape.messages) {
      const got = await host.receive("p", { max: 100, leaseMs: 60_000 });
      await host.ack(got.map((d) => d.receipt));
      done += got.length;
    }
    rows.push({ name: `receive(max 100) + ack, one consumer, ${shape.label}`, value: shape.messages / seconds(start), unit: "msg/s" });
  });
}

for (const shape of SHAPES) await handled(shape);
for (const shape of SHAPES) await pulled(shape);
report(`host groups${quick ? " (quick)" : ""}`, rows);
