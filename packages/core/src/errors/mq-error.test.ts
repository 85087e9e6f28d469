import { describe, expect, it } from "vitest";
import { MQ_ERROR_CODES } from "./error-codes";
import { JournalCorruptError } from "./journal-corrupt-error";
import { LeaseLostError } from "./lease-lost-error";
import { MqError } from "./mq-error";
import { QueueFullError } from "./queue-full-error";
import { toErrorInfo, toMqError } from "./to-mq-error";
import { InvalidOptionsError } from "./invalid-options-error";

describe("MqError", () => {
  it("carries name, code, message and cause", () => {
    const cause = new Error("disk");
    const e = new MqError({ code: MQ_ERROR_CODES.PERSISTENCE, message: "boom", cause });
    expect(e.name).toBe("MqError");
    expect(e.code).toBe("MQ_PERSISTENCE");
    expect(e.cause).toBe(cause);
    expect(e).toBeInstanceOf(Error);
  });

  it("subclasses keep their own name and typed fields", () => {
    const e = new JournalCorruptError("journal/00000001.seg", 4096, "checksum mismatch");
    expect(e.name).toBe("JournalCorruptError");
    expect(e.code).toBe(MQ_ERROR_CODES.JOURNAL_CORRUPT);
    expect(e.file).toBe("journal/00000001.seg");
    expect(e.offset).toBe(4096);
    expect(e.message).toContain("byte 4096");
    expect(new QueueFullError("orders", "bytes", 10).message).toContain("maxBytes");
  });

  it("isInstance recognises errors from another copy of the package by the registered symbol", () => {
    const foreign = Object.assign(new Error("x"), { code: "MQ_LEASE_LOST" });
    Object.defineProperty(foreign, Symbol.for("@mq/error"), { value: true });
    expect(MqError.isInstance(foreign)).toBe(true);
    expect(MqError.isInstance(new Error("x"))).toBe(false);
    expect(MqError.isInstance(null)).toBe(false);
    expect(MqError.hasCode(new LeaseLostError("r1"), MQ_ERROR_CODES.LEASE_LOST)).toBe(true);
    expect(MqError.hasCode(new LeaseLostError("r1"), MQ_ERROR_CODES.QUEUE_FULL)).toBe(false);
  });

  it("InvalidOptionsError lists every issue with its path", () => {
    const e = new InvalidOptionsError("host", [
      { path: "queues.orders.capacity", message: "must be a positive integer" },
      { path: "durability", message: "must be one of always, batch, interval, none" },
    ]);
    expect(e.issues).toHaveLength(2);
    expect(e.message).toContain("queues.orders.capacity: must be a positive integer");
    expect(e.message).toContain("durability:");
  });
});

describe("toMqError / toErrorInfo", () => {
  it("keeps MqErrors and wraps everything else as MQ_INTERNAL with the cause", () => {
    const lease = new LeaseLostError("r");
    expect(toMqError(lease)).toBe(lease);
    const wrapped = toMqError(new TypeError("bad"), "while acking");
    expect(wrapped.code).toBe(MQ_ERROR_CODES.INTERNAL);
    expect(wrapped.message).toContain("while acking: bad");
    expect(wrapped.cause).toBeInstanceOf(TypeError);
    expect(toMqError("text").message).toContain("text");
  });

  it("describes Errors and non-Errors", () => {
    const info = toErrorInfo(new RangeError("out"));
    expect(info).toMatchObject({ name: "RangeError", message: "out" });
    expect(info.stack).toContain("RangeError");
    expect(toErrorInfo(new LeaseLostError("r")).code).toBe("MQ_LEASE_LOST");
    expect(toErrorInfo({ reason: 1 })).toEqual({ name: "NonError", message: '{"reason":1}' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(toErrorInfo(cyclic).message).toBe("[object Object]");
  });
});

describe("RateLimitedError", () => {
  it("takes a bare back-off from a handler, or a reason and a back-off", async () => {
    const { RateLimitedError } = await import("./rate-limited-error");
    const bare = new RateLimitedError(1_500);
    expect([bare.code, bare.retryAfterMs]).toEqual(["MQ_RATE_LIMITED", 1_500]);
    expect(bare.message).toContain("retry after 1500 ms");
    const detailed = new RateLimitedError("too many requests", 20);
    expect([detailed.retryAfterMs, detailed.message]).toEqual([20, "[mq:rate-limit] too many requests; retry after 20 ms"]);
  });
});
