import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "./errors/invalid-argument-error";
import { assertDuration, assertKnownKeys, assertName, assertScheduleName } from "./validate";

// The exact wording is part of the contract: host and redis tests assert these messages.
describe("shared argument checks", () => {
  // First in the file: assertName remembers the last name that passed, and nothing has passed yet.
  it("refuses a missing name before any name has passed, and after one has", () => {
    expect(() => assertName("enqueue", "queue", undefined)).toThrow("[mq:enqueue] queue: must be a non-empty string, got undefined");
    assertName("enqueue", "queue", "orders");
    expect(() => assertName("enqueue", "queue", undefined)).toThrow(InvalidArgumentError);
    assertName("enqueue", "queue", "orders");
    expect(() => assertName("enqueue", "queue", "")).toThrow(InvalidArgumentError);
  });

  it("names the operation and the argument in every error", () => {
    expect(() => assertName("bind", "topic", "")).toThrow('[mq:bind] topic: must be a non-empty string, got ""');
    expect(() => assertName("enqueue", "queue", "x".repeat(201))).toThrow("[mq:enqueue] queue: must be at most 200 characters, got 201");
    expect(() => assertName("purge", "queue", "*")).toThrow('[mq:purge] queue: "*" is reserved (it means every queue in stats)');
    expect(() => assertName("peek", "queue", "a\nb")).toThrow("[mq:peek] queue: must not contain control characters");
    expect(() => assertName("peek", "queue", 42)).toThrow(InvalidArgumentError);
    expect(() => assertName("peek", "queue", "orders")).not.toThrow();
  });

  it("checks a schedule name the same way for schedule and unschedule", () => {
    expect(() => assertScheduleName("unschedule", "")).toThrow('[mq:unschedule] name: must be a schedule name (a non-empty string of at most 200 characters), got ""');
    expect(() => assertScheduleName("schedule", "x".repeat(201))).toThrow(InvalidArgumentError);
    expect(() => assertScheduleName("schedule", 7)).toThrow(InvalidArgumentError);
    expect(() => assertScheduleName("schedule", "nightly")).not.toThrow();
  });

  it("rejects an unknown option with the closest known one", () => {
    const allowed = new Set(["delayMs", "priority"]);
    expect(() => assertKnownKeys("enqueue", "options", { delay: 5 }, allowed)).toThrow(
      '[mq:enqueue] options.delay: is not a known option (did you mean "delayMs"?); known: delayMs, priority',
    );
    expect(() => assertKnownKeys("enqueue", "options", { zzz: 1 }, allowed)).toThrow("[mq:enqueue] options.zzz: is not a known option; known: delayMs, priority");
    expect(() => assertKnownKeys("enqueue", "options", { priority: 1 }, allowed)).not.toThrow();
  });

  it("checks durations, with the timer bound only where one is armed", () => {
    expect(() => assertDuration("nack", "delayMs", -1)).toThrow("[mq:nack] delayMs: must be a finite number ≥ 0 (ms), got -1");
    expect(() => assertDuration("receive", "leaseMs", 0, { min: 1 })).toThrow("[mq:receive] leaseMs: must be a finite number ≥ 1 (ms), got 0");
    expect(() => assertDuration("throttle", "ms", 2 ** 31, { timer: true })).toThrow(/at most 2147483647 ms/);
    expect(() => assertDuration("enqueue", "delayMs", 2 ** 31)).not.toThrow();
  });
});
