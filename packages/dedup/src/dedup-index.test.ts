import { InvalidArgumentError, InvalidOptionsError, MqError, VersionConflictError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { DedupIndex } from "./dedup-index";
import { DedupIndexFullError } from "./dedup-index-full-error";

const T0 = 1_700_000_000_000;
const R = { mode: "replace", windowMs: 0 } as const;
const D = (windowMs: number) => ({ mode: "drop", windowMs }) as const;

describe("replace mode", () => {
  it("creates version 1 for a new key", () => {
    const index = new DedupIndex();
    expect(index.decide("k", { ...R, now: T0 })).toEqual({ action: "create", version: 1 });
    index.accept("k", { messageId: "m1", version: 1, mode: "replace", now: T0 });
    expect(index.get("k")).toEqual({ key: "k", messageId: "m1", version: 1, state: "pending", mode: "replace", acceptedAt: T0 });
    expect(index.size).toBe(1);
  });

  it("replaces a pending message in place and bumps its version", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "replace", now: T0 });
    const d = index.decide("k", { ...R, now: T0 + 5 });
    expect(d).toEqual({ action: "replace", messageId: "m1", version: 2 });
    index.accept("k", { messageId: "m1", version: d.version, mode: "replace", now: T0 + 5 });
    expect(index.get("k")).toMatchObject({ messageId: "m1", version: 2, state: "pending", acceptedAt: T0 + 5 });
  });

  it("creates a new message while the old one is in flight, and K points to it", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "replace", now: T0 });
    index.markInFlight("k", "m1");
    expect(index.get("k")?.state).toBe("in-flight");
    const d = index.decide("k", { ...R, now: T0 + 1 });
    expect(d).toEqual({ action: "create", version: 2 });
    index.accept("k", { messageId: "m2", version: 2, mode: "replace", now: T0 + 1 });
    expect(index.get("k")).toMatchObject({ messageId: "m2", version: 2, state: "pending" });
  });

  it("releasing the superseded in-flight message does not clear the newer entry", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "replace", now: T0 });
    index.markInFlight("k", "m1");
    index.accept("k", { messageId: "m2", version: 2, mode: "replace", now: T0 + 1 });
    index.release("k", "m1", T0 + 2);
    index.markPending("k", "m1");
    index.markInFlight("k", "m1");
    expect(index.get("k")).toMatchObject({ messageId: "m2", version: 2, state: "pending" });
    expect(index.decide("k", { ...R, now: T0 + 3 })).toEqual({ action: "replace", messageId: "m2", version: 3 });
  });

  it("removes the entry when its current message is released", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "replace", now: T0 });
    index.markInFlight("k", "m1");
    index.release("k", "m1", T0 + 1);
    expect(index.get("k")).toBeUndefined();
    expect(index.size).toBe(0);
    expect(index.decide("k", { ...R, now: T0 + 2 })).toEqual({ action: "create", version: 1 });
  });

  it("markPending makes an expired lease's message replaceable again", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "replace", now: T0 });
    index.markInFlight("k", "m1");
    expect(index.decide("k", { ...R, now: T0 + 1 }).action).toBe("create");
    index.markPending("k", "m1");
    expect(index.get("k")?.state).toBe("pending");
    expect(index.decide("k", { ...R, now: T0 + 2 })).toEqual({ action: "replace", messageId: "m1", version: 2 });
  });

  it("markInFlight and markPending ignore a message id the key no longer points to", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "replace", now: T0 });
    index.markInFlight("k", "other");
    expect(index.get("k")?.state).toBe("pending");
    index.markInFlight("k", "m1");
    index.markPending("k", "other");
    expect(index.get("k")?.state).toBe("in-flight");
    index.markInFlight("nope", "m1");
    expect(index.get("nope")).toBeUndefined();
  });
});

describe("drop mode", () => {
  it("returns the existing id unchanged within the window", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "drop", windowMs: 100, now: T0 });
    expect(index.decide("k", { ...D(100), now: T0 + 99 })).toEqual({ action: "duplicate", messageId: "m1", version: 1 });
    expect(index.get("k")).toEqual({
      key: "k", messageId: "m1", version: 1, state: "pending", mode: "drop", acceptedAt: T0, expiresAt: T0 + 100,
    });
  });

  it("is a duplicate even after the message was acked, until the window passes", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "drop", windowMs: 100, now: T0 });
    index.markInFlight("k", "m1");
    index.release("k", "m1", T0 + 10);
    expect(index.get("k")?.state).toBe("released");
    expect(index.decide("k", { ...D(100), now: T0 + 50 })).toEqual({ action: "duplicate", messageId: "m1", version: 1 });
    expect(index.decide("k", { ...D(100), now: T0 + 100 })).toEqual({ action: "create", version: 1 });
  });

  it("creates a new message after the window, even before any sweep", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "drop", windowMs: 100, now: T0 });
    expect(index.decide("k", { ...D(100), now: T0 + 100 })).toEqual({ action: "create", version: 1 });
    expect(index.get("k", T0 + 100)).toBeUndefined();
    expect(index.get("k")?.messageId).toBe("m1"); // still stored until swept
    index.accept("k", { messageId: "m2", version: 1, mode: "drop", windowMs: 100, now: T0 + 100 });
    expect(index.decide("k", { ...D(100), now: T0 + 150 })).toEqual({ action: "duplicate", messageId: "m2", version: 1 });
  });

  it("applies a window shortened after acceptance at once", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "drop", windowMs: 1000, now: T0 });
    expect(index.decide("k", { ...D(10), now: T0 + 20 })).toEqual({ action: "create", version: 2 });
  });

  it("a window of 0 never deduplicates", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "drop", windowMs: 0, now: T0 });
    expect(index.decide("k", { ...D(0), now: T0 })).toEqual({ action: "create", version: 1 });
  });

  it("releasing after the window removes the entry", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "drop", windowMs: 100, now: T0 });
    index.release("k", "m1", T0 + 100);
    expect(index.size).toBe(0);
  });

  it("sweep removes only aged-out entries, in any window's list", () => {
    const index = new DedupIndex();
    index.accept("a", { messageId: "ma", version: 1, mode: "drop", windowMs: 10, now: T0 });
    index.accept("b", { messageId: "mb", version: 1, mode: "drop", windowMs: 1000, now: T0 });
    index.accept("c", { messageId: "mc", version: 1, mode: "drop", windowMs: 10, now: T0 + 5 });
    index.accept("r", { messageId: "mr", version: 1, mode: "replace", now: T0 });
    expect(index.sweep(T0 + 10)).toBe(1);
    expect(index.get("a")).toBeUndefined();
    expect(index.sweep(T0 + 15)).toBe(1);
    expect(index.sweep(T0 + 999)).toBe(0);
    expect(index.sweep(T0 + 1_000_000)).toBe(1);
    expect(index.get("r")?.messageId).toBe("mr");
    expect(index.size).toBe(1);
  });

  it("re-accepting a key moves it to the back of the acceptance order", () => {
    const index = new DedupIndex();
    index.accept("a", { messageId: "m1", version: 1, mode: "drop", windowMs: 10, now: T0 });
    index.accept("b", { messageId: "m2", version: 1, mode: "drop", windowMs: 10, now: T0 + 1 });
    index.accept("a", { messageId: "m3", version: 1, mode: "drop", windowMs: 10, now: T0 + 10 });
    expect(index.sweep(T0 + 11)).toBe(1);
    expect(index.get("a")?.messageId).toBe("m3");
    expect(index.get("b")).toBeUndefined();
  });

  it("a wall clock stepping back never makes decide wrong", () => {
    const index = new DedupIndex();
    index.accept("a", { messageId: "m1", version: 1, mode: "drop", windowMs: 100, now: T0 });
    index.accept("b", { messageId: "m2", version: 1, mode: "drop", windowMs: 100, now: T0 - 500 });
    expect(index.decide("b", { ...D(100), now: T0 - 400 })).toEqual({ action: "create", version: 1 });
    expect(index.decide("a", { ...D(100), now: T0 - 400 }).action).toBe("duplicate");
    index.sweep(T0 + 100);
    expect(index.size).toBe(0);
  });
});

describe("mode changes", () => {
  it("replace-mode decide replaces a pending drop entry and takes it out of the drop order", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "drop", windowMs: 10, now: T0 });
    expect(index.decide("k", { ...R, now: T0 + 1 })).toEqual({ action: "replace", messageId: "m1", version: 2 });
    index.accept("k", { messageId: "m1", version: 2, mode: "replace", now: T0 + 1 });
    expect(index.sweep(T0 + 1000)).toBe(0);
    expect(index.get("k")).toMatchObject({ mode: "replace", version: 2 });
    expect(index.get("k")).not.toHaveProperty("expiresAt");
  });

  it("replace-mode decide creates when the drop entry is released", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "drop", windowMs: 100, now: T0 });
    index.release("k", "m1", T0 + 1);
    expect(index.decide("k", { ...R, now: T0 + 2 })).toEqual({ action: "create", version: 2 });
  });

  it("drop-mode decide on a replace entry uses the window from acceptedAt", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 1, mode: "replace", now: T0 });
    expect(index.decide("k", { ...D(100), now: T0 + 99 })).toEqual({ action: "duplicate", messageId: "m1", version: 1 });
    expect(index.decide("k", { ...D(100), now: T0 + 100 })).toEqual({ action: "create", version: 2 });
  });
});

describe("expectedVersion", () => {
  it("passes on a match and throws VersionConflictError on a mismatch, changing nothing", () => {
    const index = new DedupIndex();
    index.accept("k", { messageId: "m1", version: 3, mode: "replace", now: T0 });
    expect(index.decide("k", { ...R, now: T0, expectedVersion: 3 })).toEqual({ action: "replace", messageId: "m1", version: 4 });
    const before = index.snapshot();
    let caught: unknown;
    try {
      index.decide("k", { ...R, now: T0, expectedVersion: 2 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(VersionConflictError);
    expect(caught).toMatchObject({ key: "k", expected: 2, actual: 3, code: "MQ_VERSION_CONFLICT" });
    expect(index.snapshot()).toEqual(before);
  });

  it("0 means the key must not exist", () => {
    const index = new DedupIndex();
    expect(index.decide("k", { ...R, now: T0, expectedVersion: 0 })).toEqual({ action: "create", version: 1 });
    index.accept("k", { messageId: "m1", version: 1, mode: "replace", now: T0 });
    expect(() => index.decide("k", { ...R, now: T0, expectedVersion: 0 })).toThrow(
      expect.objectContaining({ actual: 1, expected: 0 }),
    );
  });

  it("reports actual 0 for a key with no entry, and for a drop entry past its window", () => {
    const index = new DedupIndex();
    expect(() => index.decide("k", { ...R, now: T0, expectedVersion: 1 })).toThrow(expect.objectContaining({ actual: 0 }));
    index.accept("k", { messageId: "m1", version: 1, mode: "drop", windowMs: 10, now: T0 });
    expect(() => index.decide("k", { ...D(10), now: T0 + 10, expectedVersion: 1 })).toThrow(expect.objectContaining({ actual: 0 }));
    expect(index.decide("k", { ...D(10), now: T0 + 9, expectedVersion: 1 }).action).toBe("duplicate");
  });
});

describe("maxEntries", () => {
  it("sweeps aged-out drop entries first, then throws DedupIndexFullError", () => {
    const index = new DedupIndex({ maxEntries: 2 });
    index.accept("a", { messageId: "m1", version: 1, mode: "drop", windowMs: 10, now: T0 });
    index.accept("b", { messageId: "m2", version: 1, mode: "replace", now: T0 });
    expect(() => index.decide("c", { ...R, now: T0 + 5 })).toThrow(DedupIndexFullError);
    expect(() => index.accept("c", { messageId: "m3", version: 1, mode: "replace", now: T0 + 5 })).toThrow(DedupIndexFullError);
    expect(index.decide("a", { ...R, now: T0 + 5 }).action).toBe("replace"); // existing keys still work
    expect(index.decide("c", { ...R, now: T0 + 10 })).toEqual({ action: "create", version: 1 });
    expect(index.size).toBe(1);
    index.accept("c", { messageId: "m3", version: 1, mode: "replace", now: T0 + 10 });
    expect(index.size).toBe(2);
    try {
      index.decide("d", { ...R, now: T0 + 10 });
    } catch (error) {
      expect(MqError.hasCode(error, "MQ_DEDUP_FULL")).toBe(true);
      expect(error).toMatchObject({ maxEntries: 2 });
    }
    expect.assertions(8);
  });

  it("rejects a bad bound", () => {
    expect(() => new DedupIndex({ maxEntries: 0 })).toThrow(InvalidOptionsError);
    expect(new DedupIndex().maxEntries).toBe(Infinity);
  });
});

describe("argument checks", () => {
  it("rejects malformed arguments with InvalidArgumentError", () => {
    const index = new DedupIndex();
    expect(() => index.decide("k", { mode: "drop", windowMs: -1, now: T0 })).toThrow(InvalidArgumentError);
    expect(() => index.decide("k", { ...R, now: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => index.decide("k", { ...R, now: T0, expectedVersion: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => index.decide("k", { mode: "nope" as "drop", windowMs: 1, now: T0 })).toThrow(InvalidArgumentError);
    expect(() => index.accept("k", { messageId: "m", version: 1, mode: "drop", now: T0 })).toThrow(/windowMs/);
    expect(() => index.accept("k", { messageId: "", version: 1, mode: "replace", now: T0 })).toThrow(/messageId/);
    expect(() => index.accept("k", { messageId: "m", version: 0, mode: "replace", now: T0 })).toThrow(/version/);
    expect(index.size).toBe(0);
  });
});

it("clear removes everything", () => {
  const index = new DedupIndex();
  index.accept("a", { messageId: "m1", version: 1, mode: "drop", windowMs: 10, now: T0 });
  index.accept("b", { messageId: "m2", version: 1, mode: "replace", now: T0 });
  index.clear();
  expect(index.size).toBe(0);
  expect(index.sweep(T0 + 100)).toBe(0);
  expect(index.snapshot().entries).toEqual([]);
});
