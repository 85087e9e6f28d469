import { describe, expect, it, vi } from "vitest";
import { InvalidArgumentError, InvalidOptionsError, MQ_ERROR_CODES } from "@mq/core";
import type { DeadLetter } from "@mq/core";
import { ids, makeLetter } from "../test/make-letter";
import { DeadLetterStore } from "./dead-letter-store";

function storeWith(n: number, options?: { maxEntries?: number }): DeadLetterStore {
  const store = new DeadLetterStore(options);
  for (let i = 0; i < n; i++) store.add(makeLetter(`m${i}`, { queue: i % 2 === 0 ? "even" : "odd", reason: i % 3 === 0 ? "poison" : "max-retries" }));
  return store;
}

describe("options", () => {
  it("defaults maxEntries to 100,000", () => {
    expect(new DeadLetterStore().options.maxEntries).toBe(100_000);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "10"])("rejects maxEntries %s with InvalidOptionsError", (maxEntries) => {
    const make = () => new DeadLetterStore({ maxEntries } as { maxEntries: number });
    expect(make).toThrow(InvalidOptionsError);
    try {
      make();
    } catch (error) {
      expect((error as InvalidOptionsError).code).toBe(MQ_ERROR_CODES.INVALID_OPTIONS);
      expect((error as InvalidOptionsError).issues.map((i) => i.path)).toEqual(["maxEntries"]);
    }
  });
});

describe("add / get / has / remove", () => {
  it("stores a letter under its message id", () => {
    const store = new DeadLetterStore();
    const letter = makeLetter("a", { reason: "poison" });
    expect(store.add(letter)).toBeUndefined();
    expect(store.get("a")).toBe(letter);
    expect(store.has("a")).toBe(true);
    expect(store.size).toBe(1);
    expect(store.get("b")).toBeUndefined();
    expect(store.has("b")).toBe(false);
  });

  it("keeps every field of the letter: reason, error, attempt timestamps, time of death", () => {
    const store = new DeadLetterStore();
    store.add(makeLetter("a", { reason: "my-own-reason", attempts: 4, deadLetteredAt: 42 }));
    const got = store.get("a")!;
    expect(got.reason).toBe("my-own-reason");
    expect(got.error).toEqual({ name: "Error", message: "boom", stack: expect.stringContaining("orders.ts") });
    expect(got.attemptTimestamps).toHaveLength(4);
    expect(got.deadLetteredAt).toBe(42);
  });

  it("removes by id and reports whether anything was removed", () => {
    const store = storeWith(3);
    expect(store.remove("m1")).toBe(true);
    expect(store.remove("m1")).toBe(false);
    expect(store.has("m1")).toBe(false);
    expect(store.size).toBe(2);
    expect(ids(store.list().items)).toEqual(["m0", "m2"]);
  });

  it("rejects something that is not a dead letter with InvalidArgumentError", () => {
    const store = new DeadLetterStore();
    expect(() => store.add({} as DeadLetter)).toThrow(InvalidArgumentError);
    expect(() => store.add({ ...makeLetter("a"), message: { ...makeLetter("a").message, id: "" } })).toThrow(/message\.id/);
    expect(store.size).toBe(0);
  });

  it("replaces an entry with the same id and moves it to the end", () => {
    const store = storeWith(3);
    const newer = makeLetter("m0", { queue: "other", reason: "expired" });
    expect(store.add(newer)).toBeUndefined();
    expect(store.size).toBe(3);
    expect(store.get("m0")).toBe(newer);
    expect(ids(store.list().items)).toEqual(["m1", "m2", "m0"]);
    expect(store.count({ queue: "even" })).toBe(1);
    expect(store.count({ queue: "other" })).toBe(1);
    expect(store.count({ reason: "poison" })).toBe(0);
    expect(store.count({ reason: "expired" })).toBe(1);
  });
});

describe("overflow", () => {
  it("drops the oldest entry, emits it, counts it and returns it", () => {
    const store = storeWith(3, { maxEntries: 3 });
    const seen: DeadLetter[] = [];
    store.events.on("overflow", (letter) => seen.push(letter));
    const dropped = store.add(makeLetter("m3"));
    expect(dropped?.message.id).toBe("m0");
    expect(ids(seen)).toEqual(["m0"]);
    expect(store.droppedCount).toBe(1);
    expect(store.size).toBe(3);
    expect(store.has("m0")).toBe(false);
    expect(store.count({ queue: "even" })).toBe(1);
    expect(ids(store.list().items)).toEqual(["m1", "m2", "m3"]);
  });

  it("does not drop anything when a full store replaces an id it holds", () => {
    const store = storeWith(3, { maxEntries: 3 });
    const listener = vi.fn();
    store.events.on("overflow", listener);
    expect(store.add(makeLetter("m0"))).toBeUndefined();
    expect(listener).not.toHaveBeenCalled();
    expect(store.droppedCount).toBe(0);
    expect(ids(store.list().items)).toEqual(["m1", "m2", "m0"]);
  });

  it("drops the oldest still held, skipping removed entries", () => {
    const store = storeWith(3, { maxEntries: 3 });
    store.remove("m0");
    store.add(makeLetter("m3"));
    expect(store.add(makeLetter("m4"))?.message.id).toBe("m1");
    expect(ids(store.list().items)).toEqual(["m2", "m3", "m4"]);
  });

  it("keeps a maxEntries of 1 at one entry", () => {
    const store = new DeadLetterStore({ maxEntries: 1 });
    store.add(makeLetter("a"));
    expect(store.add(makeLetter("b"))?.message.id).toBe("a");
    expect(ids(store.list().items)).toEqual(["b"]);
    expect(store.droppedCount).toBe(1);
  });
});

describe("list", () => {
  it("returns oldest first, 100 by default, with a cursor while more follow", () => {
    const store = storeWith(250);
    const first = store.list();
    expect(first.items).toHaveLength(100);
    expect(first.items[0]?.message.id).toBe("m0");
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = store.list({ cursor: first.nextCursor! });
    expect(second.items[0]?.message.id).toBe("m100");
    const third = store.list({ cursor: second.nextCursor! });
    expect(ids(third.items)).toEqual(Array.from({ length: 50 }, (_, i) => `m${200 + i}`));
    expect(third.nextCursor).toBeUndefined();
  });

  it("has no cursor when the page ends exactly at the last entry", () => {
    const store = storeWith(10);
    expect(store.list({ limit: 10 }).nextCursor).toBeUndefined();
    expect(store.list({ limit: 9 }).nextCursor).toBeDefined();
  });

  it("clamps limit to 1000 and rejects a limit that is not a positive integer", () => {
    const store = storeWith(1500);
    expect(store.list({ limit: 5000 }).items).toHaveLength(1000);
    for (const limit of [0, -1, 2.5, Number.NaN]) expect(() => store.list({ limit })).toThrow(InvalidArgumentError);
  });

  it("filters by queue, reason, or both, and pages within the filter", () => {
    const store = storeWith(30);
    expect(ids(store.list({ queue: "odd", limit: 3 }).items)).toEqual(["m1", "m3", "m5"]);
    expect(ids(store.list({ reason: "poison", limit: 3 }).items)).toEqual(["m0", "m3", "m6"]);
    expect(ids(store.list({ queue: "odd", reason: "poison" }).items)).toEqual(["m3", "m9", "m15", "m21", "m27"]);
    const page1 = store.list({ queue: "odd", reason: "poison", limit: 2 });
    const page2 = store.list({ queue: "odd", reason: "poison", limit: 2, cursor: page1.nextCursor! });
    const page3 = store.list({ queue: "odd", reason: "poison", limit: 2, cursor: page2.nextCursor! });
    expect([ids(page1.items), ids(page2.items), ids(page3.items)]).toEqual([["m3", "m9"], ["m15", "m21"], ["m27"]]);
    expect(page3.nextCursor).toBeUndefined();
    expect(store.list({ queue: "nope" })).toEqual({ items: [] });
  });

  it("resumes right after the last item even when entries are added and removed between pages", () => {
    const store = storeWith(10);
    const page1 = store.list({ limit: 4 }); // m0..m3
    store.remove("m3"); // the cursor's own item
    store.remove("m4"); // the next one
    store.remove("m1"); // one already seen
    store.add(makeLetter("m2")); // seen, re-added: moves to the end, so it is seen again there
    store.add(makeLetter("late"));
    const page2 = store.list({ limit: 4, cursor: page1.nextCursor! });
    const page3 = store.list({ limit: 4, cursor: page2.nextCursor! });
    expect(ids(page1.items)).toEqual(["m0", "m1", "m2", "m3"]);
    expect(ids(page2.items)).toEqual(["m5", "m6", "m7", "m8"]);
    expect(ids(page3.items)).toEqual(["m9", "m2", "late"]);
    expect(page3.nextCursor).toBeUndefined();
  });

  it("keeps cursors valid across compaction of many removed entries", () => {
    const store = storeWith(5000);
    const page1 = store.list({ limit: 10 });
    for (let i = 10; i < 4990; i++) store.remove(`m${i}`);
    const page2 = store.list({ cursor: page1.nextCursor! });
    expect(ids(page2.items)).toEqual(["m4990", "m4991", "m4992", "m4993", "m4994", "m4995", "m4996", "m4997", "m4998", "m4999"]);
  });

  it.each(["", "garbage", "dl1.", "dl1.-1", "dl1.1.5", "dl1.ZZ", "dl2.5", "dl1.01", " dl1.1", "dl1.zzzzzzzzzzzz"])(
    "rejects malformed cursor %j with InvalidArgumentError",
    (cursor) => {
      const store = storeWith(3);
      expect(() => store.list({ cursor })).toThrow(InvalidArgumentError);
    },
  );

  it("rejects a cursor past anything the store has held", () => {
    const big = storeWith(50);
    const cursor = big.list({ limit: 40 }).nextCursor!;
    const small = storeWith(3);
    expect(() => small.list({ cursor })).toThrow(/cursor/);
    try {
      small.list({ cursor });
    } catch (error) {
      expect((error as InvalidArgumentError).code).toBe(MQ_ERROR_CODES.INVALID_ARGUMENT);
      expect((error as InvalidArgumentError).argument).toBe("cursor");
    }
  });
});

describe("count", () => {
  it("counts everything, by queue, by reason and by both, following every change", () => {
    const store = storeWith(12, { maxEntries: 12 });
    expect(store.count()).toBe(12);
    expect(store.count({})).toBe(12);
    expect(store.count({ queue: "even" })).toBe(6);
    expect(store.count({ reason: "poison" })).toBe(4);
    expect(store.count({ queue: "even", reason: "poison" })).toBe(2);
    expect(store.count({ queue: "missing" })).toBe(0);
    expect(store.count({ queue: "even", reason: "missing" })).toBe(0);

    store.remove("m0"); // even, poison
    store.take("m1"); // odd, max-retries
    store.add(makeLetter("x", { queue: "even", reason: "poison" })); // 10 -> 11, nothing dropped
    store.add(makeLetter("y", { queue: "odd", reason: "poison" })); // 12
    store.add(makeLetter("z", { queue: "odd", reason: "poison" })); // drops m2 (even, max-retries)
    expect(store.count()).toBe(12);
    expect(store.count({ queue: "even" })).toBe(5);
    expect(store.count({ queue: "odd" })).toBe(7);
    expect(store.count({ reason: "poison" })).toBe(6);
    expect(store.count({ queue: "odd", reason: "poison" })).toBe(4);
  });
});

describe("take", () => {
  it("removes one entry by id and returns its message with attempts reset to 0", () => {
    const store = storeWith(3);
    const original = store.get("m1")!;
    const [message, ...rest] = store.take("m1");
    expect(rest).toEqual([]);
    expect(message).toEqual({ ...original.message, attempts: 0 });
    expect(original.message.attempts).toBe(3); // the stored object is not mutated
    expect(store.has("m1")).toBe(false);
    expect(store.take("m1")).toEqual([]);
  });

  it("removes every entry matching a filter, oldest first", () => {
    const store = storeWith(10);
    const taken = store.take({ queue: "odd", reason: "max-retries" });
    expect(taken.map((m) => m.id)).toEqual(["m1", "m5", "m7"]);
    expect(taken.every((m) => m.attempts === 0)).toBe(true);
    expect(store.size).toBe(7);
    expect(store.count({ queue: "odd", reason: "max-retries" })).toBe(0);
  });

  it("takes everything for an empty filter", () => {
    const store = storeWith(5);
    expect(store.take({})).toHaveLength(5);
    expect(store.size).toBe(0);
  });
});

describe("purge and clear", () => {
  it("purges matching entries and returns how many", () => {
    const store = storeWith(10);
    expect(store.purge({ reason: "poison" })).toBe(4);
    expect(store.count({ reason: "poison" })).toBe(0);
    expect(store.size).toBe(6);
    expect(store.purge({ queue: "nope" })).toBe(0);
    expect(ids(store.list().items)).toEqual(["m1", "m2", "m4", "m5", "m7", "m8"]);
  });

  it("purges everything without a filter but keeps droppedCount", () => {
    const store = storeWith(5, { maxEntries: 3 });
    expect(store.purge()).toBe(3);
    expect(store.size).toBe(0);
    expect(store.count({ queue: "even" })).toBe(0);
    expect(store.droppedCount).toBe(2);
    expect(store.list()).toEqual({ items: [] });
  });

  it("clears entries and droppedCount, and an old cursor does not skip letters added afterwards", () => {
    const store = storeWith(5, { maxEntries: 3 });
    const cursor = store.list({ limit: 1 }).nextCursor!;
    store.clear();
    expect(store.size).toBe(0);
    expect(store.droppedCount).toBe(0);
    store.add(makeLetter("fresh"));
    expect(ids(store.list({ cursor }).items)).toEqual(["fresh"]);
  });
});
