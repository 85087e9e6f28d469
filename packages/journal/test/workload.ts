import type { FilePersistence } from "../src/file-persistence";
import type { RecordingHandler } from "./helpers";

/** What a workload did: ops in call order, which were acknowledged, and how each append settled. */
export interface WorkloadResult {
  readonly invoked: number[];
  readonly acked: Set<number>;
  /** Settlements in the order they happened. */
  readonly settled: { ok: boolean; errno?: string; first: number }[];
}

/** A deterministic random source (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `concurrency` loops append frames of 1–`maxBatch` ops `{ n }` (n counts up
 * from `start`), applying them to the handler in the same step (as a host does),
 * until `total` ops were invoked or an append fails. Optionally asks for snapshots.
 */
export async function runWorkload(
  p: FilePersistence,
  h: RecordingHandler,
  o: { total: number; concurrency?: number; maxBatch?: number; random?: () => number; snapshotEvery?: number; start?: number },
): Promise<WorkloadResult> {
  const random = o.random ?? Math.random;
  const invoked: number[] = [];
  const acked = new Set<number>();
  const settled: WorkloadResult["settled"] = [];
  let next = o.start ?? 1;
  let stop = false;
  const snapshots: Promise<unknown>[] = [];
  const loop = async (): Promise<void> => {
    while (!stop && invoked.length < o.total) {
      const size = 1 + Math.floor(random() * (o.maxBatch ?? 3));
      const ops = Array.from({ length: size }, () => ({ n: next++ }));
      const ns = ops.map((op) => op.n);
      invoked.push(...ns);
      h.ops.push(...ops);
      try {
        await p.append(ops);
        for (const n of ns) acked.add(n);
        settled.push({ ok: true, first: ns[0]! });
      } catch (error) {
        settled.push({ ok: false, errno: (error as { errno?: string }).errno ?? String(error), first: ns[0]! });
        stop = true;
      }
      if (o.snapshotEvery && random() < 1 / o.snapshotEvery) snapshots.push(p.snapshot().catch(() => undefined));
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 4 }, loop));
  await Promise.all(snapshots);
  return { invoked, acked, settled };
}

/** Checks a recovered op sequence against a workload: a prefix of what was invoked, holding every acknowledged op. */
export function checkRecovered(recovered: number[], invoked: number[], acked: Set<number>): string | undefined {
  for (let i = 0; i < recovered.length; i++) if (recovered[i] !== invoked[i]) return `position ${i}: recovered ${recovered[i]} but ${invoked[i]} was invoked there (hole, duplicate or garbage)`;
  const have = new Set(recovered);
  for (const n of acked) if (!have.has(n)) return `acknowledged op ${n} lost (recovered ${recovered.length} of ${invoked.length} invoked)`;
  return undefined;
}

/** Lets pending callbacks of an abandoned instance run out. */
export async function drain(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
