import { describe, expect, it } from "vitest";
import { validateEnqueueItem } from "./validate-enqueue";

// Every backend runs this one rule, so the same bad item gets the same error everywhere.
describe("validateEnqueueItem", () => {
  it("accepts a full item", () => {
    expect(() =>
      validateEnqueueItem({ queue: "q", payload: { a: 1 }, key: "k", expectedVersion: 0, priority: 3, delayMs: 10, ttlMs: 1_000, headers: { h: "v" }, maxAttempts: 3, backoff: { type: "exponential", baseMs: 100 }, group: "g" }),
    ).not.toThrow();
  });

  it("names the bad field", () => {
    expect(() => validateEnqueueItem({ queue: "q", payload: 1, delay: 5 } as never)).toThrow('[mq:enqueue] item.delay: is not a known option (did you mean "delayMs"?)');
    expect(() => validateEnqueueItem({ queue: "", payload: 1 })).toThrow("[mq:enqueue] queue: must be a non-empty string");
    expect(() => validateEnqueueItem({ queue: "q", payload: 1, priority: 10 })).toThrow("[mq:enqueue] priority: must be an integer from 0 to 9, got 10");
    expect(() => validateEnqueueItem({ queue: "q", payload: 1, expectedVersion: 1 })).toThrow("[mq:enqueue] expectedVersion: needs a key");
    expect(() => validateEnqueueItem({ queue: "q", payload: 1, delayMs: 1, availableAt: 5 })).toThrow("give delayMs or availableAt, not both");
    expect(() => validateEnqueueItem({ queue: "q", payload: 1, maxAttempts: 0 })).toThrow("[mq:enqueue] maxAttempts: must be an integer ≥ 1");
    expect(() => validateEnqueueItem({ queue: "q", payload: 1, backoff: { type: "linear", baseMs: 1 } as never })).toThrow("[mq:enqueue] backoff:");
    expect(() => validateEnqueueItem({ queue: "q", payload: 1, group: "" })).toThrow("[mq:enqueue] group: must be a string of 1–256 characters");
    expect(() => validateEnqueueItem({ queue: "q", topic: "t", payload: 1 } as never)).toThrow("give either queue or topic, not both");
  });
});
