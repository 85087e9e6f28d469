import { describe, expect, it } from "vitest";
import { consumerArgv, parseConsumerArgv, parseConsumerLine } from "./consumer-protocol";

describe("consumer process protocol", () => {
  it("parses ready and cumulative done lines, ignoring anything else", () => {
    expect(parseConsumerLine("ready")).toEqual({ kind: "ready" });
    expect(parseConsumerLine("done 1234\r")).toEqual({ kind: "done", total: 1234 });
    expect(parseConsumerLine("done -1")).toBeUndefined();
    expect(parseConsumerLine("[ioredis] some warning")).toBeUndefined();
  });

  it("round-trips its arguments and rejects malformed ones", () => {
    const args = { kind: "mq-redis", port: 6380, queue: "mqbench", concurrency: 32 } as const;
    expect(parseConsumerArgv(consumerArgv(args))).toEqual(args);
    expect(() => parseConsumerArgv(["kafka", "6380", "q", "1"])).toThrow(/mq-redis or bullmq/);
    expect(() => parseConsumerArgv(["bullmq", "0", "q", "1"])).toThrow(/port/);
    expect(() => parseConsumerArgv(["bullmq", "6380", "", "1"])).toThrow(/queue/);
    expect(() => parseConsumerArgv(["bullmq", "6380", "q", "1.5"])).toThrow(/concurrency/);
  });
});
