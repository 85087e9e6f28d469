import { describe, expect, it } from "vitest";
import { MqError } from "../errors/mq-error";
import type { Persistence, RecoveryHandler, SnapshotData } from "../persistence";

/** What a conformance test passes to the adapter factory. */
export interface PersistenceConformanceContext {
  /** Instances made with the same `storeId` share storage: making a new one after `close()` is a restart. */
  readonly storeId: string;
  /** The adapter must write a snapshot on close only when this is true. */
  readonly snapshotOnClose: boolean;
}

/** Makes a fresh, unopened adapter for `ctx`. */
export type PersistenceFactory = (ctx: PersistenceConformanceContext) => Persistence | Promise<Persistence>;

/** A recovery handler that keeps every op in a list and records the calls made to it. */
export class RecordingHandler implements RecoveryHandler {
  ops: unknown[] = [];
  meta: unknown = undefined;
  readonly calls: string[] = [];
  readonly lsns: number[] = [];
  captures = 0;
  /** When set, handed to the adapter as `SnapshotData.encodeItem`. */
  encodeItem: ((item: unknown) => unknown) | undefined;

  restore(snapshot: SnapshotData, lsn: number): void {
    this.calls.push(`restore:${lsn}`);
    this.meta = snapshot.meta;
    this.ops = [...snapshot.items];
  }

  apply(ops: readonly unknown[], lsn: number): void {
    this.calls.push(`apply:${lsn}`);
    this.lsns.push(lsn);
    this.ops.push(...ops);
  }

  capture(): SnapshotData {
    this.captures++;
    const data = { meta: { count: this.ops.length }, items: [...this.ops] };
    return this.encodeItem === undefined ? data : { ...data, encodeItem: this.encodeItem };
  }
}

let counter = 0;

// By code, not instanceof: the adapter may use another bundled copy of the error classes.
async function expectHostClosed(promise: Promise<unknown>): Promise<void> {
  const outcome = await promise.then(
    () => "resolved",
    (e: unknown) => e,
  );
  expect(MqError.hasCode(outcome, "MQ_HOST_CLOSED"), `expected HostClosedError, got ${String(outcome)}`).toBe(true);
  expect((outcome as Error).name).toBe("HostClosedError");
}

// Binary and dates compared by content, whatever subclass the decoder returns (Buffer is a Uint8Array).
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: [...value] };
  if (value instanceof Date) return { $date: value.getTime() };
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  return value;
}

/**
 * The shared test suite every {@link Persistence} adapter must pass (vitest).
 * An adapter's test file is two lines: import this and call it with a factory.
 */
export function runPersistenceConformance(name: string, makePersistence: PersistenceFactory): void {
  const fresh = (snapshotOnClose = true): PersistenceConformanceContext => ({ storeId: `conf-${process.pid}-${++counter}`, snapshotOnClose });
  const openNew = async (ctx: PersistenceConformanceContext): Promise<{ p: Persistence; h: RecordingHandler }> => {
    const p = await makePersistence(ctx);
    const h = new RecordingHandler();
    await p.open(h);
    return { p, h };
  };
  // Appends and applies to the handler in one step, as a host does.
  const write = (p: Persistence, h: RecordingHandler, ops: unknown[]): Promise<number> => {
    h.ops.push(...ops);
    return p.append(ops);
  };

  describe(`Persistence conformance: ${name}`, () => {
    it("declares the contract", async () => {
      const p = await makePersistence(fresh());
      expect(p.contractVersion).toBe(1);
      expect(typeof p.kind).toBe("string");
      expect(["always", "batch", "interval", "none"]).toContain(p.durability);
    });

    it("opens empty", async () => {
      const { p, h } = await openNew(fresh());
      expect(p.lastLsn).toBe(0);
      expect(h.calls).toEqual([]);
      await p.close();
    });

    it("reports an empty recovery", async () => {
      const p = await makePersistence(fresh());
      const report = await p.open(new RecordingHandler());
      expect(report).toMatchObject({ snapshotLsn: 0, framesReplayed: 0, opsReplayed: 0, lastLsn: 0, skipped: [] });
      await p.close();
    });

    it("numbers appends 1, 2, 3 in call order", async () => {
      const { p, h } = await openNew(fresh());
      const lsns = await Promise.all([write(p, h, ["a"]), write(p, h, ["b"]), write(p, h, ["c"])]);
      expect(lsns).toEqual([1, 2, 3]);
      expect(p.lastLsn).toBe(3);
      await p.close();
    });

    it("recovers appended frames after a restart, in LSN order", async () => {
      const ctx = fresh(false);
      const first = await openNew(ctx);
      for (let i = 0; i < 20; i++) await first.p.append([{ i }]);
      await first.p.close();
      const second = await openNew(ctx);
      expect(second.h.calls[0]).not.toMatch(/^restore/);
      expect(second.h.lsns).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(second.h.ops).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
      expect(second.p.lastLsn).toBe(20);
      expect(await second.p.append(["next"])).toBe(21);
      await second.p.close();
    });

    it("continues numbering after a restart with a snapshot", async () => {
      const ctx = fresh(true);
      const first = await openNew(ctx);
      await write(first.p, first.h, ["a"]);
      await write(first.p, first.h, ["b"]);
      await first.p.close();
      const second = await openNew(ctx);
      expect(second.h.ops).toEqual(["a", "b"]);
      expect(second.p.lastLsn).toBe(2);
      expect(await second.p.append(["c"])).toBe(3);
      await second.p.close();
    });

    it("applies a multi-op frame whole, with one LSN", async () => {
      const ctx = fresh(false);
      const first = await openNew(ctx);
      await first.p.append(["x1", "x2", "x3"]);
      await first.p.append([]);
      await first.p.append(["y"]);
      await first.p.close();
      const second = await openNew(ctx);
      expect(second.h.calls).toEqual(["apply:1", "apply:2", "apply:3"]);
      expect(second.h.ops).toEqual(["x1", "x2", "x3", "y"]);
      await second.p.close();
    });

    it("restores a snapshot and replays only the frames after it", async () => {
      const ctx = fresh(false);
      const first = await openNew(ctx);
      await write(first.p, first.h, ["a"]);
      await write(first.p, first.h, ["b"]);
      const info = await first.p.snapshot();
      expect(info.lsn).toBe(2);
      expect(info.items).toBe(2);
      expect(first.h.captures).toBe(1);
      await write(first.p, first.h, ["c"]);
      await write(first.p, first.h, ["d"]);
      await first.p.close();
      const second = await openNew(ctx);
      expect(second.h.calls).toEqual(["restore:2", "apply:3", "apply:4"]);
      expect(second.h.ops).toEqual(["a", "b", "c", "d"]);
      expect(second.h.meta).toEqual({ count: 2 });
      await second.p.close();
    });

    it("stores snapshot items through encodeItem and restores them as stored", async () => {
      const ctx = fresh(false);
      const first = await openNew(ctx);
      first.h.encodeItem = (item) => ({ stored: item });
      await write(first.p, first.h, ["a", "b"]);
      await first.p.snapshot();
      await write(first.p, first.h, ["c"]);
      await first.p.close();
      const second = await openNew(ctx);
      expect(second.h.ops).toEqual([{ stored: "a" }, { stored: "b" }, "c"]);
      await second.p.close();
    });

    it("calls capture() for the snapshot written on close", async () => {
      const ctx = fresh(true);
      const first = await openNew(ctx);
      await write(first.p, first.h, ["a"]);
      await first.p.close();
      expect(first.h.captures).toBe(1);
      const second = await openNew(ctx);
      expect(second.h.calls).toEqual(["restore:1"]);
      expect(second.h.ops).toEqual(["a"]);
      await second.p.close();
    });

    it("emits a snapshot event", async () => {
      const { p, h } = await openNew(fresh());
      await write(p, h, ["a"]);
      const seen: number[] = [];
      p.events.on("snapshot", (info) => seen.push(info.lsn));
      await p.snapshot();
      expect(seen).toEqual([1]);
      await p.close();
    });

    it("rejects append, snapshot and a second close after close with HostClosedError", async () => {
      const { p } = await openNew(fresh());
      await p.close();
      await expectHostClosed(p.append(["late"]));
      await expectHostClosed(p.snapshot());
      await expectHostClosed(p.close());
    });

    it("rejects append before open with HostClosedError", async () => {
      const p = await makePersistence(fresh());
      await expectHostClosed(p.append(["early"]));
    });

    it("rejects a second open with HostClosedError", async () => {
      const { p } = await openNew(fresh());
      await expectHostClosed(p.open(new RecordingHandler()));
      await p.close();
    });

    it("round-trips every supported value type", async () => {
      const ctx = fresh(false);
      const values: unknown[] = [
        { nested: { list: [1, "two", { three: 3 }] }, empty: {}, emptyList: [] },
        "text with ünïcode ✓",
        "",
        0,
        -1,
        42.5,
        2 ** 40,
        -(2 ** 52),
        Number.MAX_SAFE_INTEGER,
        NaN,
        Infinity,
        -Infinity,
        12n,
        -(2n ** 64n),
        2n ** 100n,
        true,
        false,
        null,
        undefined,
        new Date(1_700_000_000_123),
        new Uint8Array([0, 1, 2, 254, 255]),
        { withUndefined: undefined, date: new Date(0), bytes: new Uint8Array([9]) },
      ];
      const first = await openNew(ctx);
      await first.p.append(values);
      await first.p.close();
      const second = await openNew(ctx);
      expect(second.h.ops).toHaveLength(values.length);
      second.h.ops.forEach((got, i) => {
        const want = values[i];
        if (want instanceof Uint8Array) {
          expect(got).toBeInstanceOf(Uint8Array);
          expect([...(got as Uint8Array)]).toEqual([...want]);
        } else if (want instanceof Date) {
          expect(got).toBeInstanceOf(Date);
          expect((got as Date).getTime()).toBe(want.getTime());
        } else {
          expect(normalize(got)).toEqual(normalize(want));
          expect(typeof got).toBe(typeof want);
        }
      });
      expect(Object.getPrototypeOf(second.h.ops[0])).toBe(Object.prototype);
      await second.p.close();
    });

    it("round-trips values through a snapshot too", async () => {
      const ctx = fresh(true);
      const first = await openNew(ctx);
      await write(first.p, first.h, [{ big: 7n, when: new Date(5), nan: NaN, bytes: new Uint8Array([1, 2]) }]);
      await first.p.close();
      const second = await openNew(ctx);
      expect(second.h.calls).toEqual(["restore:1"]);
      const got = second.h.ops[0] as { big: bigint; when: Date; nan: number; bytes: Uint8Array };
      expect(got.big).toBe(7n);
      expect(got.when.getTime()).toBe(5);
      expect(got.nan).toBeNaN();
      expect([...got.bytes]).toEqual([1, 2]);
      await second.p.close();
    });

    it("does not alias appended values: later mutation of the caller's object is not recovered", async () => {
      const ctx = fresh(false);
      const first = await openNew(ctx);
      const op = { n: 1 };
      await first.p.append([op]);
      op.n = 2;
      await first.p.close();
      const second = await openNew(ctx);
      expect(second.h.ops).toEqual([{ n: 1 }]);
      await second.p.close();
    });
  });
}
