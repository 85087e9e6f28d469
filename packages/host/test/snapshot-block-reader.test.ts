import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import type { Entry, EntryState } from "../src/engine/entry";
import { SnapshotBlockReader } from "../src/engine/snapshot-block-reader";
import { fromSnapshotItem, NO_ATTEMPTS, toSnapshotItem, type SnapshotItem } from "../src/engine/snapshot-item";

// The @mq/journal snapshot format: what its codec writes and how it decodes item blocks (binary as views).
const FORMAT = { useRecords: false, structuredClone: false, moreTypes: false, mapsAsObjects: true, bundleStrings: false, useBigIntExtension: true, int64AsType: "bigint" } as const;
const packr = new Packr({ ...FORMAT, copyBuffers: true });
const views = new Packr({ ...FORMAT, copyBuffers: false });

/** A block as the journal stores it, inside a larger buffer (as in a snapshot file). */
function storedBlock(items: readonly Entry[]): { bytes: Uint8Array; start: number; end: number } {
  const body = packr.pack(items.map(toSnapshotItem));
  const bytes = new Uint8Array(body.length + 20).fill(0xc1);
  bytes.set(body, 7);
  return { bytes, start: 7, end: 7 + body.length };
}

/** Reads a block with the reader, and the way `SnapshotSink.items` would get it (msgpackr, then fromSnapshotItem). */
function readBoth(items: readonly Entry[]): { fast: Entry[]; reference: Entry[] } {
  const { bytes, start, end } = storedBlock(items);
  const decode = (s: number, e: number): unknown => views.unpack(bytes, { start: s, end: e });
  const reader = new SnapshotBlockReader();
  const count = reader.open(bytes, start, end, decode);
  const fast = Array.from({ length: count }, () => reader.next());
  reader.close();
  const reference = (decode(start, end) as SnapshotItem[]).map(fromSnapshotItem);
  return { fast, reference };
}

function entry(over: Partial<Entry> = {}): Entry {
  return {
    id: "01KBEXAMPLE00000000000001",
    queue: "orders",
    payload: packr.pack({ body: "x".repeat(40), n: 1 }),
    key: undefined,
    version: 1,
    priority: 0,
    enqueuedAt: 1_764_000_000_123,
    availableAt: 1_764_000_000_123,
    expiresAt: undefined,
    attempts: 0,
    attemptTimestamps: [],
    correlationId: undefined,
    causationId: undefined,
    headers: undefined,
    state: "ready",
    replayOrder: 0,
    ...over,
  };
}

function expectSame(fast: Entry[], reference: Entry[]): void {
  expect(fast.length).toBe(reference.length);
  for (let i = 0; i < fast.length; i++) {
    // Same fields in the same order: restored entries keep one shape.
    expect(Object.keys(fast[i]!)).toEqual(Object.keys(reference[i]!));
    expect({ ...fast[i]!, payload: [...fast[i]!.payload] }).toEqual({ ...reference[i]!, payload: [...reference[i]!.payload] });
  }
}

describe("SnapshotBlockReader (snapshot items decoded straight into entries)", () => {
  it("reads every stored field as msgpackr + fromSnapshotItem would, in every item width", () => {
    const items = [
      entry(),
      entry({ id: "b", key: "k-1", version: 70_000, priority: 9, expiresAt: 1_764_000_999_000, correlationId: "c", causationId: "z", headers: { a: "1", "x-y": "ü" } }),
      entry({ id: "c", state: "delayed", availableAt: 1_764_000_500_000.5, attempts: 3, attemptTimestamps: [1, 2.5, 1_764_000_000_000] }),
      entry({ id: "d", state: "in-flight", attempts: 1, attemptTimestamps: [7] }),
      entry({ id: "e", maxAttempts: 5 }),
      entry({ id: "f", backoff: { type: "exponential", baseMs: 100, maxMs: 5000 } }),
      entry({ id: "g", group: "customer-1", groupSeq: 2 ** 40 }),
      entry({ id: "h", queue: "другая очередь", key: "ключ 🔑", payload: new Uint8Array(0) }),
      entry({ id: "i", queue: "q".repeat(40), payload: new Uint8Array(70_000).fill(3) }),
      entry({ id: "j", queue: "orders", payload: new Uint8Array(300).fill(4), state: "gone" }),
      entry({ id: "k".repeat(200), version: 2 ** 31 + 5, priority: 255 }),
      entry({ id: "lone \ud800 surrogate", key: "\udc00", correlationId: "é".repeat(50) }),
    ];
    const { fast, reference } = readBoth(items);
    expectSame(fast, reference);
    expect(fast[0]!.attemptTimestamps).toBe(NO_ATTEMPTS);
    // One string per queue name and per state across items.
    expect(fast[9]!.queue).toBe(fast[0]!.queue);
  });

  it("agrees with the reference decoding on arbitrary entries", () => {
    const text = fc.string({ unit: "binary", maxLength: 40 });
    const arbEntry = fc.record({
      id: fc.string({ minLength: 1, maxLength: 30 }),
      queue: fc.constantFrom("orders", "emails", "q-ü", "x".repeat(33)),
      payload: fc.uint8Array({ maxLength: 600 }),
      key: fc.option(text, { nil: undefined }),
      version: fc.integer({ min: 1, max: 2 ** 40 }),
      priority: fc.integer({ min: 0, max: 9 }),
      enqueuedAt: fc.integer({ min: 0, max: 2 ** 45 }),
      availableAt: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.double({ min: 0, max: 2 ** 45, noNaN: true })),
      expiresAt: fc.option(fc.integer({ min: 0, max: 2 ** 45 }), { nil: undefined }),
      attempts: fc.integer({ min: 0, max: 100 }),
      attemptTimestamps: fc.array(fc.integer({ min: 0, max: 2 ** 45 }), { maxLength: 3 }),
      correlationId: fc.option(text, { nil: undefined }),
      causationId: fc.option(text, { nil: undefined }),
      headers: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), text, { maxKeys: 3 }), { nil: undefined }),
      state: fc.constantFrom<EntryState>("ready", "delayed", "in-flight", "gone"),
      maxAttempts: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
      group: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
      groupSeq: fc.integer({ min: 0, max: 2 ** 45 }),
    });
    fc.assert(
      fc.property(fc.array(arbEntry, { minLength: 1, maxLength: 20 }), (raw) => {
        const items = raw.map(({ maxAttempts, group, groupSeq, ...rest }) =>
          entry({ ...rest, ...(maxAttempts === undefined ? {} : { maxAttempts }), ...(group === undefined ? {} : { group, groupSeq }) }),
        );
        const { fast, reference } = readBoth(items);
        expectSame(fast, reference);
      }),
      { numRuns: 300 },
    );
  });

  it("payloads are views of the snapshot's bytes, each exactly its own range", () => {
    const { bytes, start, end } = storedBlock([entry({ payload: new Uint8Array([1, 2, 3]) }), entry({ id: "b", payload: new Uint8Array([9]) })]);
    const reader = new SnapshotBlockReader();
    reader.open(bytes, start, end, (s, e) => views.unpack(bytes, { start: s, end: e }));
    const [a, b] = [reader.next(), reader.next()];
    expect([...a.payload]).toEqual([1, 2, 3]);
    expect([...b.payload]).toEqual([9]);
    expect(a.payload.buffer).toBe(bytes.buffer);
  });

  it("throws on a block cut short or not an array, never returns a partial entry", () => {
    const { bytes, start, end } = storedBlock([entry(), entry({ id: "second" })]);
    const decode = (s: number, e: number): unknown => views.unpack(bytes, { start: s, end: e });
    for (const cut of [end - 1, end - 20, start + 30, start + 3]) {
      const reader = new SnapshotBlockReader();
      const count = reader.open(bytes, start, cut, decode);
      expect(() => {
        for (let i = 0; i < count; i++) reader.next();
      }).toThrow();
    }
    const notArray = packr.pack({ a: 1 });
    expect(() => new SnapshotBlockReader().open(notArray, 0, notArray.length, decode)).toThrow(/not an array/);
  });
});
