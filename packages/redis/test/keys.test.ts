import calculateSlot from "cluster-key-slot";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, encodeReceipt, KeySpace, parseReceipt } from "../src/keys";

describe("key layout", () => {
  const keys = new KeySpace("mq");

  it("gives every queue a base that is its own hash tag, and reads the queue back", () => {
    for (const q of ["orders", "a.b:c", "with{braces}", "50%", "ünï"]) {
      const base = keys.base(q);
      expect(base.startsWith("{") && base.endsWith("}")).toBe(true);
      expect(base.slice(1, -1)).not.toMatch(/[{}]/);
      expect(keys.queueOf(base)).toBe(q);
      expect(calculateSlot(`${base}:r`)).toBe(calculateSlot(`${base}:m:01J0000000000000000000000`));
    }
    expect(keys.base("a}b")).not.toBe(keys.base("a%7Db"));
    expect(keys.queueOf("{other:orders}")).toBeUndefined();
  });

  it("round-trips receipts and refuses foreign ones", () => {
    const r = encodeReceipt("q.with.dots", "01ABCDEF", "42t1733100000123456");
    expect(parseReceipt(r, "ack")).toEqual({ receipt: r, queue: "q.with.dots", id: "01ABCDEF", token: "42t1733100000123456" });
    expect(parseReceipt("not-a-receipt", "ack")).toBeUndefined();
    expect(parseReceipt("1.nope", "ack")).toBeUndefined();
    expect(() => parseReceipt("", "ack")).toThrow(/receipt/);
  });

  it("round-trips dead-letter cursors and rejects malformed ones", () => {
    expect(decodeCursor(encodeCursor("1733100000123456", "a queue"))).toEqual({ score: "1733100000123456", queue: "a queue" });
    expect(() => decodeCursor("dl1.5")).toThrow(/cursor/);
  });
});

describe("options", () => {
  it("rejects bad options before connecting", async () => {
    const { redisBackend } = await import("../src/index");
    expect(() => redisBackend({})).toThrow(/connection/);
    expect(() => redisBackend({ connection: "redis://127.0.0.1:1", sweepIntervalMs: 0 })).toThrow(/sweepIntervalMs/);
    expect(() => redisBackend({ connection: "redis://127.0.0.1:1", prefix: "" })).toThrow(/prefix/);
  });
});
