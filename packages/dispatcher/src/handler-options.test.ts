import { InvalidOptionsError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { resolveBackoff, resolveDispatcherOptions, resolveDrainTimeoutMs, resolveHandlerOptions } from "./handler-options";

describe("resolveHandlerOptions", () => {
  it("applies the documented defaults", () => {
    expect(resolveHandlerOptions(undefined)).toEqual({
      maxParallelism: 1,
      minParallelism: 1,
      timeoutMs: 30_000,
      backoff: { type: "exponential", baseMs: 1_000, maxMs: 60_000, jitter: true },
      autoExtend: true,
      leaseMs: 30_000,
      prefetch: "auto",
      maxPendingAcks: 1_000,
    });
  });

  it("makes the lease outlast the timeout when heartbeats are off", () => {
    expect(resolveHandlerOptions({ autoExtend: false, timeoutMs: 120_000 }).leaseMs).toBe(125_000);
    expect(resolveHandlerOptions({ autoExtend: false, timeoutMs: 1_000 }).leaseMs).toBe(30_000);
    expect(resolveHandlerOptions({ autoExtend: true, timeoutMs: 120_000 }).leaseMs).toBe(30_000);
    expect(resolveHandlerOptions({ leaseMs: 500 }).leaseMs).toBe(500);
  });

  it("defaults minParallelism to no more than maxParallelism", () => {
    expect(resolveHandlerOptions({ maxParallelism: 0 }).minParallelism).toBe(0);
  });

  it("reports every problem with its path in one InvalidOptionsError", () => {
    let caught: unknown;
    try {
      resolveHandlerOptions({ maxParallelism: -1, timeoutMs: 1.5, autoExtend: "yes" as unknown as boolean, nope: 1 } as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidOptionsError);
    const paths = (caught as InvalidOptionsError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(["autoExtend", "maxParallelism", "nope", "timeoutMs"]);
    expect((caught as InvalidOptionsError).code).toBe("MQ_INVALID_OPTIONS");
  });

  it("checks relations between options", () => {
    expect(() => resolveHandlerOptions({ maxParallelism: 2, minParallelism: 3 })).toThrow(/minParallelism: must not exceed maxParallelism/);
    expect(() => resolveHandlerOptions({ backoff: { type: "exponential", baseMs: 1_000, maxMs: 10 } })).toThrow(/backoff.maxMs/);
    expect(() => resolveHandlerOptions({ timeoutMs: 2 ** 31 })).toThrow(InvalidOptionsError);
  });

  it("rejects a malformed backoff object", () => {
    expect(() => resolveHandlerOptions({ backoff: { type: "linear", baseMs: 1 } as never })).toThrow(InvalidOptionsError);
    expect(() => resolveHandlerOptions({ backoff: -5 })).toThrow(InvalidOptionsError);
  });

  it("freezes the result", () => {
    expect(Object.isFrozen(resolveHandlerOptions({}))).toBe(true);
  });
});

describe("resolveBackoff", () => {
  it("normalizes the number shorthand to a fixed delay without jitter", () => {
    expect(resolveBackoff(500)).toEqual({ type: "fixed", baseMs: 500, maxMs: 500, jitter: false });
  });

  it("fills maxMs and jitter for the object form", () => {
    expect(resolveBackoff({ type: "exponential", baseMs: 200 })).toEqual({ type: "exponential", baseMs: 200, maxMs: 60_000, jitter: true });
    expect(resolveBackoff({ type: "fixed", baseMs: 200 })).toEqual({ type: "fixed", baseMs: 200, maxMs: 200, jitter: false });
  });
});

describe("resolveDispatcherOptions and resolveDrainTimeoutMs", () => {
  it("the drain defaults to 25 s and is validated", () => {
    expect(resolveDispatcherOptions(undefined)).toBe(25_000);
    expect(resolveDispatcherOptions({ drainTimeoutMs: 0 })).toBe(0);
    expect(() => resolveDispatcherOptions({ drainTimeoutMs: -1 })).toThrow(InvalidOptionsError);
    expect(resolveDrainTimeoutMs(undefined, "stop")).toBeUndefined();
    expect(resolveDrainTimeoutMs({ drainTimeoutMs: 5 }, "stop")).toBe(5);
  });

  it("rejects unknown keys, naming the operation and the key", () => {
    expect(() => resolveDispatcherOptions({ drainTimeout: 5 })).toThrow(/\[mq:createDispatcher\] invalid options: drainTimeout/);
    expect(() => resolveDrainTimeoutMs({ drainTimeoutMS: 5 }, "stop")).toThrow(/\[mq:stop\] invalid options: drainTimeoutMS/);
    expect(() => resolveDrainTimeoutMs({ drain: 5 }, "unregister")).toThrow(/\[mq:unregister\]/);
  });

  it("handler option errors name handle()", () => {
    expect(() => resolveHandlerOptions({ maxRetry: 3 } as never)).toThrow(/\[mq:handle\] invalid options: maxRetry/);
  });
});
