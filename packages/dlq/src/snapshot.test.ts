import { describe, expect, it, vi } from "vitest";
import { pack, unpack } from "msgpackr";
import { InvalidArgumentError } from "@mq/core";
import { ids, makeLetter } from "../test/make-letter";
import { DeadLetterStore } from "./dead-letter-store";
import type { DeadLetterSnapshot } from "./snapshot";

function populated(): DeadLetterStore {
  const store = new DeadLetterStore({ maxEntries: 50 });
  for (let i = 0; i < 60; i++) store.add(makeLetter(`m${i}`, { queue: `q${i % 3}`, reason: i % 2 === 0 ? "poison" : "expired", payload: { i, tags: ["a", i] } }));
  for (let i = 20; i < 30; i++) store.remove(`m${i}`);
  store.add(makeLetter("m40", { queue: "q9", reason: "rejected" })); // replaced: moves to the end
  return store;
}

// Through msgpack, as the journal persists it.
function roundTrip(snapshot: DeadLetterSnapshot): DeadLetterSnapshot {
  return unpack(pack(snapshot)) as DeadLetterSnapshot;
}

describe("snapshot / restore", () => {
  it("round trips exactly through msgpack", () => {
    const store = populated();
    const snapshot = store.snapshot();
    const restored = new DeadLetterStore({ maxEntries: 50 });
    restored.restore(roundTrip(snapshot));
    expect(restored.snapshot()).toEqual(snapshot);
    expect(restored.size).toBe(store.size);
    expect(restored.droppedCount).toBe(10);
    expect(restored.get("m33")).toEqual(store.get("m33"));
    expect(ids(restored.list({ limit: 1000 }).items)).toEqual(ids(store.list({ limit: 1000 }).items));
    for (const filter of [{ queue: "q1" }, { reason: "poison" }, { queue: "q0", reason: "expired" }, { queue: "q9" }]) {
      expect(restored.count(filter)).toBe(store.count(filter));
    }
  });

  it("keeps a cursor taken before the snapshot valid after restore, and new entries do not reuse sequence numbers", () => {
    const store = populated();
    const page1 = store.list({ limit: 7 });
    const snapshot = roundTrip(store.snapshot());
    const restored = new DeadLetterStore({ maxEntries: 50 });
    restored.restore(snapshot);
    restored.add(makeLetter("after-restore"));
    const fromOriginal = store.list({ limit: 1000, cursor: page1.nextCursor! });
    const fromRestored = restored.list({ limit: 1000, cursor: page1.nextCursor! });
    expect(ids(fromRestored.items)).toEqual([...ids(fromOriginal.items), "after-restore"]);
    expect(fromRestored.items[0]?.message.id).toBe("m17");
  });

  it("replaces whatever the store held", () => {
    const target = new DeadLetterStore();
    target.add(makeLetter("stale"));
    target.restore(populated().snapshot());
    expect(target.has("stale")).toBe(false);
    expect(target.size).toBe(40);
  });

  it("drops the oldest, counted and emitted, when restored into a smaller store", () => {
    const small = new DeadLetterStore({ maxEntries: 5 });
    const overflow = vi.fn();
    small.events.on("overflow", overflow);
    const snapshot = populated().snapshot();
    small.restore(snapshot);
    expect(small.size).toBe(5);
    expect(small.droppedCount).toBe(10 + 35);
    expect(overflow).toHaveBeenCalledTimes(35);
    expect(ids(small.list().items)).toEqual(ids(snapshot.letters.slice(-5)));
  });

  it("rejects a malformed snapshot with InvalidArgumentError and leaves the store unchanged", () => {
    const good = populated().snapshot();
    const bad: unknown[] = [
      null,
      { ...good, version: 2 },
      { ...good, nextSeq: 0 },
      { ...good, droppedCount: -1 },
      { ...good, seqs: good.seqs.slice(1) },
      { ...good, seqs: [...good.seqs].reverse() },
      { ...good, nextSeq: good.seqs[good.seqs.length - 1] },
      { ...good, letters: [...good.letters.slice(0, -1), good.letters[0]] },
      { ...good, letters: [...good.letters.slice(0, -1), { queue: "q", reason: "r", message: {} }] },
    ];
    const store = new DeadLetterStore();
    store.add(makeLetter("keep"));
    for (const snapshot of bad) {
      expect(() => store.restore(snapshot as DeadLetterSnapshot)).toThrow(InvalidArgumentError);
      expect(ids(store.list().items)).toEqual(["keep"]);
    }
  });

  it("round trips an empty store, keeping its sequence position", () => {
    const store = new DeadLetterStore();
    store.add(makeLetter("a"));
    const cursor = store.list({ limit: 1 }).nextCursor;
    expect(cursor).toBeUndefined();
    store.add(makeLetter("b"));
    const afterA = store.list({ limit: 1 }).nextCursor!;
    store.purge();
    const restored = new DeadLetterStore();
    restored.restore(roundTrip(store.snapshot()));
    expect(restored.size).toBe(0);
    restored.add(makeLetter("c"));
    expect(ids(restored.list({ cursor: afterA }).items)).toEqual(["c"]);
  });
});
