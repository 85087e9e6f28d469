import type { RecoveryHandler, SnapshotData, SnapshotSink } from "@mq/core";
import { describe, expect, it } from "vitest";
import { createFilePersistence } from "./file-persistence";
import { createFaultFs, type FaultFs } from "./fs/fault-fs";
import { snapshotName } from "./layout";

const DIR = "/data";
const N = 5_000;

/** A handler whose state is a list of numbers; `streaming` adds `beginRestore`. */
function handler(streaming: boolean): RecoveryHandler & { state: number[]; blocks: number[]; restored: "whole" | "stream" | undefined } {
  const h = {
    state: [] as number[],
    blocks: [] as number[],
    restored: undefined as "whole" | "stream" | undefined,
    restore(snapshot: SnapshotData) {
      h.restored = "whole";
      h.state.push(...(snapshot.items as number[]));
    },
    apply(ops: readonly unknown[]) {
      for (const op of ops) h.state.push(op as number);
    },
    capture: (): SnapshotData => ({ meta: { v: 1 }, items: h.state }),
  };
  if (!streaming) return h;
  return Object.assign(h, {
    beginRestore(meta: unknown, _lsn: number, items: number): SnapshotSink {
      expect(meta).toEqual({ v: 1 });
      expect(items).toBe(N);
      h.restored = "stream";
      return {
        items: (block: readonly unknown[]) => {
          h.blocks.push(block.length);
          h.state.push(...(block as number[]));
        },
        end: () => h.blocks.push(-1),
      };
    },
  });
}

async function written(): Promise<FaultFs> {
  const fs = createFaultFs();
  const p = createFilePersistence({ dataDir: DIR, fs, snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
  const h = handler(false);
  await p.open(h);
  for (let i = 0; i < N; i += 500) {
    const ops = Array.from({ length: 500 }, (_, k) => i + k);
    h.state.push(...ops);
    await p.append(ops);
  }
  await p.snapshot();
  await p.append([N]);
  await p.close();
  return fs;
}

describe("streaming snapshot restore (beginRestore)", () => {
  it("hands the items over block by block, then replays the tail; restore() is not called", async () => {
    const fs = await written();
    const h = handler(true);
    const p = createFilePersistence({ dataDir: DIR, fs, snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
    const report = await p.open(h);
    await p.close();
    expect(h.restored).toBe("stream");
    expect(h.blocks.length).toBeGreaterThan(2);
    expect(h.blocks.at(-1)).toBe(-1);
    expect(h.blocks.slice(0, -1).reduce((a, b) => a + b, 0)).toBe(N);
    expect(h.state).toEqual(Array.from({ length: N + 1 }, (_, i) => i));
    expect(report.snapshotLsn).toBe(N / 500);
  });

  it("a sink with encodedItems gets each block as stored, decodes it itself, and the counts it returns are checked", async () => {
    const fs = await written();
    const run = async (miscount: number): Promise<{ h: ReturnType<typeof handler>; error: unknown; calls: number }> => {
      const h = handler(true);
      let calls = 0;
      const begin = h.beginRestore!.bind(h);
      h.beginRestore = (meta, lsn, items) => ({
        ...begin(meta, lsn, items),
        items: () => expect.unreachable("items() is not called when encodedItems is there"),
        encodedItems: (bytes, start, end, decode) => {
          calls++;
          // The sink's own reading of the block, here through the adapter's decoder for the whole array.
          const block = decode(start, end) as number[];
          expect(bytes[start]! & 0xf0).not.toBe(0); // a msgpack array header
          h.blocks.push(block.length);
          h.state.push(...block);
          return block.length + (calls === 2 ? miscount : 0);
        },
      });
      const p = createFilePersistence({ dataDir: DIR, fs, snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
      const error = await p.open(h).then(
        () => undefined,
        (e: unknown) => e,
      );
      await p.close().catch(() => undefined);
      return { h, error, calls };
    };
    const ok = await run(0);
    expect(ok.error).toBeUndefined();
    expect(ok.calls).toBeGreaterThan(2);
    expect(ok.h.state).toEqual(Array.from({ length: N + 1 }, (_, i) => i));
    // A sink that reads fewer or more items than the header says: damage past the checksums, recovery stops.
    for (const miscount of [-1, 1]) {
      const bad = await run(miscount);
      expect((bad.error as { code?: string } | undefined)?.code).toBe("MQ_JOURNAL_CORRUPT");
    }
  });

  it("a handler without beginRestore still gets the whole snapshot from the same file", async () => {
    const fs = await written();
    const h = handler(false);
    const p = createFilePersistence({ dataDir: DIR, fs, snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
    await p.open(h);
    await p.close();
    expect(h.restored).toBe("whole");
    expect(h.state).toEqual(Array.from({ length: N + 1 }, (_, i) => i));
  });

  it("checks the whole file before streaming: a damaged last block means nothing is handed over and the journal replays from LSN 1", async () => {
    const fs = await written();
    const file = `${DIR}/snapshots/${snapshotName(N / 500)}`;
    const bytes = Buffer.from(fs.readFileSync(file)!);
    bytes[bytes.length - 3]! ^= 0xff;
    fs.writeFileSync(file, bytes);
    const h = handler(true);
    const p = createFilePersistence({ dataDir: DIR, fs, snapshotEveryOps: 0, snapshotEveryMs: 0, snapshotOnClose: false });
    const report = await p.open(h);
    await p.close();
    expect(h.restored).toBeUndefined();
    expect(report.snapshotLsn).toBe(0);
    expect(h.state).toEqual(Array.from({ length: N + 1 }, (_, i) => i));
  });
});
