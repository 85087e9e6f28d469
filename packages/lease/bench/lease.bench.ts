import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { systemClock } from "@mq/core";
import { createManualClock } from "@mq/core/testing";
import { opsPerSecond, report } from "@mq-tooling/bench/report";
import type { BenchRow } from "@mq-tooling/bench/report";
import { LeaseManager } from "../src/index";

const LIVE = 1_000_000;
const MINUTE = 60_000;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function memory(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const ids = Array.from({ length: LIVE }, (_, i) => `01JD3Z${i.toString(36).padStart(8, "0")}`);
const extraIds = Array.from({ length: 65_536 }, (_, i) => `extra-${i}`);
const rows: BenchRow[] = [];

// Memory: the id strings exist before the manager (they belong to the messages), so they are not counted.
{
  const before = memory();
  const manager = new LeaseManager({ clock: systemClock, onExpire: () => {} });
  for (let i = 0; i < LIVE; i++) manager.acquire(ids[i]!, 10 * MINUTE + (i % 1000));
  const after = memory();
  rows.push({ name: "memory per live lease (1,000,000 live)", value: (after - before) / LIVE, unit: "bytes", note: "heap + typed arrays, ids excluded" });
  manager.close();
}

// acquire + release pairs against 1,000,000 live leases, on the system clock.
for (const [name, lengthOf] of [
  ["acquire+release at 1,000,000 live (same lease length)", () => 5 * MINUTE],
  ["acquire+release at 1,000,000 live (random lease length)", () => Math.random() * 20 * MINUTE],
] as const) {
  const manager = new LeaseManager({ clock: systemClock, onExpire: () => {} });
  for (let i = 0; i < LIVE; i++) manager.acquire(ids[i]!, 10 * MINUTE + Math.random() * MINUTE);
  let n = 0;
  const pairs = opsPerSecond(() => {
    for (let i = 0; i < 1000; i++) {
      const token = manager.acquire(extraIds[n++ & 0xffff]!, lengthOf());
      manager.release(token);
    }
    return 1000;
  });
  rows.push({ name, value: pairs, unit: "pairs/s" });
  if (name.includes("same")) {
    let k = 0;
    const extends_ = opsPerSecond(() => {
      for (let i = 0; i < 1000; i++) {
        const id = ids[k++ % LIVE]!;
        manager.extend(manager.tokenOf(id)!, 10 * MINUTE + (k % 1000));
      }
      return 1000;
    });
    rows.push({ name: "tokenOf+extend at 1,000,000 live", value: extends_, unit: "ops/s" });
  }
  manager.close();
}

// For scale on a shared machine: the bare JS Map cost of one set+delete at the same size.
{
  const map = new Map<string, number>();
  for (let i = 0; i < LIVE; i++) map.set(ids[i]!, i);
  let n = 0;
  const pairs = opsPerSecond(() => {
    for (let i = 0; i < 1000; i++) {
      const id = extraIds[n++ & 0xffff]!;
      map.set(id, i);
      map.delete(id);
    }
    return 1000;
  });
  rows.push({ name: "baseline: Map set+delete at 1,000,000 keys", value: pairs, unit: "pairs/s", note: "same run, for scale" });
}

// Expiry handling: 1,000,000 leases run out through the manual clock.
for (const [name, spread] of [
  ["expirations, 1,000,000 spread over 1 s", 1000],
  ["expirations, 1,000,000 in the same ms", 0],
] as const) {
  const clock = createManualClock();
  let expired = 0;
  const manager = new LeaseManager({ clock, onExpire: () => void expired++ });
  for (let i = 0; i < LIVE; i++) manager.acquire(ids[i]!, 1 + Math.floor(Math.random() * spread));
  const start = process.hrtime.bigint();
  clock.advance(spread + 1);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (expired !== LIVE) throw new Error(`expected ${LIVE} expirations, saw ${expired}`);
  rows.push({ name, value: LIVE / seconds, unit: "expirations/s" });
}

report("lease", rows);
