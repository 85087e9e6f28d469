import { MqError } from "@mq/core";
import { RecordingHandler } from "@mq/core/testing";
import { describe, expect, it } from "vitest";
import { createMemoryPersistence } from "./memory-persistence";
import { createMemoryStore } from "./memory-store";

describe("memory journal", () => {
  it("a second instance on a held store fails with DataDirLockedError; crash() releases it", async () => {
    const store = createMemoryStore();
    const first = createMemoryPersistence({ store, snapshotOnClose: false });
    const h = new RecordingHandler();
    await first.open(h);
    await first.append([{ n: 1 }]);
    const second = createMemoryPersistence({ store });
    const err = await second.open(new RecordingHandler()).then(() => undefined, (e: unknown) => e);
    expect(MqError.hasCode(err, "MQ_DATA_DIR_LOCKED")).toBe(true);
    store.crash();
    const third = createMemoryPersistence({ store });
    const h3 = new RecordingHandler();
    await third.open(h3);
    expect(h3.ops).toEqual([{ n: 1 }]);
    await third.close();
  });

  it("stores encoded bytes: mutating a recovered or captured object changes nothing stored", async () => {
    const store = createMemoryStore();
    const a = createMemoryPersistence({ store });
    const h = new RecordingHandler();
    await a.open(h);
    const op = { n: 1, list: [1] };
    h.ops.push(op);
    await a.append([op]);
    await a.snapshot();
    op.list.push(2);
    await a.close();
    const b = createMemoryPersistence({ store });
    const hb = new RecordingHandler();
    await b.open(hb);
    (hb.ops[0] as { list: number[] }).list.push(3);
    await b.close();
    const c = createMemoryPersistence({ store });
    const hc = new RecordingHandler();
    await c.open(hc);
    expect(hc.ops).toEqual([{ n: 1, list: [1] }]);
    await c.close();
  });

  it("snapshotEveryOps snapshots and drops covered frames", async () => {
    const store = createMemoryStore();
    const p = createMemoryPersistence({ store, snapshotEveryOps: 5, keepSnapshots: 1 });
    const h = new RecordingHandler();
    await p.open(h);
    for (let n = 1; n <= 5; n++) {
      h.ops.push({ n });
      await p.append([{ n }]);
    }
    await new Promise((r) => setImmediate(r));
    expect(store.snapshots.map((s) => s.lsn)).toEqual([5]);
    expect(store.frames).toEqual([]);
    await p.close();
  });
});
