import { machine, opsPerSecond, report } from "@mq-tooling/bench/report";
import type { BenchRow } from "@mq-tooling/bench/report";
import type { DeadLetter } from "@mq/core";
import { DeadLetterStore } from "../src/index";

const N = 100_000;
const QUEUES = 10;

function letters(count: number, prefix: string): DeadLetter[] {
  const out: DeadLetter[] = [];
  for (let i = 0; i < count; i++) {
    const queue = `queue-${i % QUEUES}`;
    out.push({
      message: { id: `${prefix}${i.toString().padStart(8, "0")}`, queue, payload: null, version: 1, priority: 0, enqueuedAt: 1_700_000_000_000 + i, attempts: 5 },
      queue,
      reason: i % 4 === 0 ? "poison" : "max-retries",
      error: { name: "Error", message: "handler failed" },
      attemptTimestamps: [1, 2, 3, 4, 5],
      deadLetteredAt: 1_700_000_000_000 + i,
    });
  }
  return out;
}

function filled(batch: readonly DeadLetter[]): DeadLetterStore {
  const store = new DeadLetterStore({ maxEntries: N });
  for (const letter of batch) store.add(letter);
  return store;
}

// Mean microseconds per call over `runs` calls, after a warm-up.
function meanMicros(runs: number, fn: () => unknown): number {
  for (let i = 0; i < Math.min(runs, 100); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1000 / runs;
}

const gc = (globalThis as { gc?: () => void }).gc;
function heapAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const rows: BenchRow[] = [];
const base = letters(N, "a");
const more = letters(N, "b");

rows.push({
  name: "add into an empty store (to 100,000)",
  value: opsPerSecond(() => filled(base).size, 2000),
  unit: "ops/s",
});

const full = filled(base);
let next = 0;
const cycle = [...more, ...base];
rows.push({
  name: "add at the bound (drops oldest each time)",
  value: opsPerSecond(() => {
    for (let i = 0; i < 10_000; i++) full.add(cycle[next++ % cycle.length]!);
    return 10_000;
  }, 2000),
  unit: "ops/s",
});

const store = filled(base);
// A cursor half way in: seek cost, not position, is what matters.
let mid = store.list({ limit: 1000 }).nextCursor!;
for (let i = 0; i < 49; i++) mid = store.list({ limit: 1000, cursor: mid }).nextCursor!;
rows.push({ name: "list page of 100, first page (100,000 entries)", value: meanMicros(20_000, () => store.list()), unit: "µs" });
rows.push({ name: "list page of 100, cursor at the middle", value: meanMicros(20_000, () => store.list({ cursor: mid })), unit: "µs" });
rows.push({
  name: "list page of 100, filtered by queue (1 in 10 match)",
  value: meanMicros(5_000, () => store.list({ queue: "queue-3", cursor: mid })),
  unit: "µs",
});
rows.push({
  name: "list page of 100, filtered by queue and reason",
  value: meanMicros(5_000, () => store.list({ queue: "queue-4", reason: "poison", cursor: mid })),
  unit: "µs",
});
// Worst case: a filtered page resumed after its last match scans to the end to prove there is no next page.
// (From the oldest entry the scan stops at the last match: the per-filter count says when.)
const rare = new DeadLetterStore({ maxEntries: N + 1 });
rare.add({ ...base[0]!, message: { ...base[0]!.message, id: "rare" }, queue: "rare" });
for (const letter of base) rare.add(letter);
const afterRare = rare.list({ limit: 1 }).nextCursor!;
rows.push({
  name: "list, filtered, resumed after its only match (full scan)",
  value: meanMicros(200, () => rare.list({ queue: "rare", cursor: afterRare })),
  unit: "µs",
});
rows.push({
  name: "list, filtered, from the start, only match is the oldest",
  value: meanMicros(20_000, () => rare.list({ queue: "rare" })),
  unit: "µs",
});
rows.push({
  name: "count by queue and reason",
  value: opsPerSecond(() => {
    let n = 0;
    for (let i = 0; i < 10_000; i++) n += store.count({ queue: "queue-4", reason: "poison" }) > 0 ? 1 : 0;
    return n;
  }),
  unit: "ops/s",
});

const snapshotMs = meanMicros(20, () => store.snapshot()) / 1000;
const snap = store.snapshot();
rows.push({ name: "snapshot() of 100,000 entries", value: snapshotMs, unit: "ms" });
rows.push({ name: "restore() of 100,000 entries", value: meanMicros(20, () => new DeadLetterStore({ maxEntries: N }).restore(snap)) / 1000, unit: "ms" });

if (gc === undefined) {
  console.warn("run with --expose-gc for memory figures");
} else {
  const held = letters(N, "m");
  const beforeStore = heapAfterGc();
  const measured = filled(held);
  const afterStore = heapAfterGc();
  rows.push({ name: "store overhead per entry (beyond the letter)", value: (afterStore - beforeStore) / N, unit: "bytes" });
  const beforeLetters = heapAfterGc();
  const extra = letters(N, "n");
  const afterLetters = heapAfterGc();
  rows.push({
    name: "letter + message objects per entry (null payload)",
    value: (afterLetters - beforeLetters) / N,
    unit: "bytes",
    note: "caller-built; shared, not copied",
  });
  if (measured.size !== N || extra.length !== N) throw new Error("unexpected size");
}

report("dlq", rows);
console.log(JSON.stringify(machine()));
