import { describe, expect, it } from "vitest";
import { consumerArgv, latencySince, parseConsumerArgv, parseConsumerLine } from "./consumer-protocol";

describe("consumer process protocol", () => {
  it("parses ready and cumulative done lines, ignoring anything else", () => {
    expect(parseConsumerLine("ready")).toEqual({ kind: "ready" });
    expect(parseConsumerLine("done 1234\r")).toEqual({ kind: "done", total: 1234 });
    expect(parseConsumerLine("done -1")).toBeUndefined();
    expect(parseConsumerLine("start 17 3.25")).toEqual({ kind: "start", i: 17, ms: 3.25 });
    expect(parseConsumerLine("start 3 1.5e-7")).toEqual({ kind: "start", i: 3, ms: 1.5e-7 });
    expect(parseConsumerLine("start x 1")).toBeUndefined();
    expect(parseConsumerLine("[ioredis] some warning")).toBeUndefined();
  });

  it("round-trips its arguments and rejects malformed ones", () => {
    const args = { kind: "mq-redis", port: 6380, queue: "mqbench", concurrency: 32, origin: 1_764_640_000_123.456 } as const;
    expect(parseConsumerArgv(consumerArgv(args))).toEqual(args);
    expect(() => parseConsumerArgv(["kafka", "6380", "q", "1"])).toThrow(/mq-redis or bullmq/);
    expect(() => parseConsumerArgv(["bullmq", "0", "q", "1"])).toThrow(/port/);
    expect(() => parseConsumerArgv(["bullmq", "6380", "", "1"])).toThrow(/queue/);
    expect(() => parseConsumerArgv(["bullmq", "6380", "q", "1.5", "0"])).toThrow(/concurrency/);
    expect(() => parseConsumerArgv(["bullmq", "6380", "q", "1"])).toThrow(/origin/);
  });

  it("measures enqueue → start across processes from the parent's clock origin", () => {
    // Parent began at 1,000 ms (epoch), stamped t = 50: enqueued at 1,050; started at 1,053.5.
    expect(latencySince(1_000, 50, 1_053.5)).toBeCloseTo(3.5);
  });
});
