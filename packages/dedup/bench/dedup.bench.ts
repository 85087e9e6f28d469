// Dedup index throughput and memory at 1,000,000 keys. Run: pnpm bench
import { opsPerSecond, report } from "@mq-tooling/bench/report";
import { newId } from "@mq/core";
import { DedupIndex } from "../src/index";

const N = 1_000_000;
const T0 = 1_700_000_000_000;
const BATCH = 10_000;
const STRIDE = 7_919; // a prime: visits keys out of insertion order

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const keys = Array.from({ length: N }, (_, i) => `orders\u0000order-${i}`);
const ids = Array.from({ length: N }, () => newId());

/** Heap bytes per entry of the index `build` returns; the size check keeps it reachable while measuring. */
function bytesPerEntry(build: () => DedupIndex): number {
  const before = heapUsed();
  const built = build();
  const after = heapUsed();
  if (built.size !== N) throw new Error(`expected ${N} entries, got ${built.size}`);
  return (after - before) / built.size;
}

// Structure only: the key and id strings exist before and after.
const dropStructureBytes = bytesPerEntry(() => {
  const d = new DedupIndex();
  for (let i = 0; i < N; i++) d.accept(keys[i]!, { messageId: ids[i]!, version: 1, mode: "drop", windowMs: 60_000, now: T0 });
  return d;
});
let index = new DedupIndex();
const structureBytes = bytesPerEntry(() => {
  for (let i = 0; i < N; i++) index.accept(keys[i]!, { messageId: ids[i]!, version: 1, mode: "replace", now: T0 + i });
  return index;
});

// decide only: existing replace-mode keys, all pending.
let cursor = 0;
const decideOnly = opsPerSecond(() => {
  for (let n = 0; n < BATCH; n++) {
    cursor = (cursor + STRIDE) % N;
    index.decide(keys[cursor]!, { mode: "replace", windowMs: 0, now: T0 + N });
  }
  return BATCH;
});

// decide + accept, replace in place: every call bumps a pending key's version.
let now = T0 + N;
const decideAcceptReplace = opsPerSecond(() => {
  for (let n = 0; n < BATCH; n++) {
    cursor = (cursor + STRIDE) % N;
    const key = keys[cursor]!;
    const d = index.decide(key, { mode: "replace", windowMs: 0, now });
    index.accept(key, { messageId: d.messageId ?? ids[cursor]!, version: d.version, mode: "replace", now });
  }
  now++;
  return BATCH;
});

// decide + accept, drop mode: a stream of new keys with ~1,000,000 inside the window
// (1,000 keys per ms, 1,000 ms window); each accept sweeps the aged-out ones.
index = new DedupIndex();
const windowMs = 1_000;
let seq = 0;
const dropStep = (): void => {
  const t = T0 + Math.floor(seq / 1_000);
  const key = `orders\u0000k${seq}`;
  const d = index.decide(key, { mode: "drop", windowMs, now: t });
  index.accept(key, { messageId: `m${seq}`, version: d.version, mode: "drop", windowMs, now: t });
  seq++;
};
for (let i = 0; i < N; i++) dropStep();
const decideAcceptDrop = opsPerSecond(() => {
  for (let n = 0; n < BATCH; n++) dropStep();
  return BATCH;
});
const dropLiveKeys = index.size;

// The same stream with a 1 ms window (~1,000 live keys): the index stays in cache.
const smallIndex = new DedupIndex();
let smallSeq = 0;
const decideAcceptDropSmall = opsPerSecond(() => {
  for (let n = 0; n < BATCH; n++) {
    const t = T0 + Math.floor(smallSeq / 1_000);
    const key = `orders\u0000k${smallSeq++}`;
    const d = smallIndex.decide(key, { mode: "drop", windowMs: 1, now: t });
    smallIndex.accept(key, { messageId: "m", version: d.version, mode: "drop", windowMs: 1, now: t });
  }
  return BATCH;
});

// With strings: what 1,000,000 realistic keys and ids cost in total.
index = new DedupIndex();
const totalBytes = bytesPerEntry(() => {
  const d = new DedupIndex();
  for (let i = 0; i < N; i++) d.accept(`orders\u0000order-${i}`, { messageId: newId(), version: 1, mode: "replace", now: T0 + i });
  return d;
});

report("dedup", [
  { name: "decide only, 1M keys", value: decideOnly, unit: "ops/s" },
  { name: "decide+accept replace, 1M keys", value: decideAcceptReplace, unit: "ops/s" },
  { name: "decide+accept drop, ~1M live keys", value: decideAcceptDrop, unit: "ops/s", note: `(size ${dropLiveKeys.toLocaleString("en-US")}; key string built per op)` },
  { name: "decide+accept drop, ~1k live keys", value: decideAcceptDropSmall, unit: "ops/s", note: `(size ${smallIndex.size.toLocaleString("en-US")})` },
  { name: "memory per entry, replace (structure)", value: structureBytes, unit: "bytes" },
  { name: "memory per entry, drop (structure)", value: dropStructureBytes, unit: "bytes" },
  { name: "memory per entry incl. key + id strings", value: totalBytes, unit: "bytes", note: "(19-char key, 26-char id)" },
]);
