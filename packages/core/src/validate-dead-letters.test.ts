import { describe, expect, it } from "vitest";
import { MQ_ERROR_CODES } from "./errors/error-codes";
import { assertDeadLetterFilter, assertReplayOptions, DEAD_LETTER_LIST_KEYS } from "./validate-dead-letters";

describe("dead-letter argument checks", () => {
  it("accepts no filter, an empty one, and queue and/or reason", () => {
    expect(() => assertDeadLetterFilter("deadLetters.purge", undefined)).not.toThrow();
    expect(() => assertDeadLetterFilter("deadLetters.purge", {})).not.toThrow();
    expect(() => assertDeadLetterFilter("deadLetters.purge", { queue: "orders", reason: "max-retries" })).not.toThrow();
    expect(() => assertDeadLetterFilter("deadLetters.list", { queue: "orders", limit: 5, cursor: "c" }, DEAD_LETTER_LIST_KEYS)).not.toThrow();
  });

  it("rejects a mistyped key, naming the operation, the key and the likely intended one", () => {
    expect(() => assertDeadLetterFilter("deadLetters.purge", { queu: "orders" })).toThrow('[mq:deadLetters.purge] filter.queu: is not a known option (did you mean "queue"?)');
    expect(() => assertDeadLetterFilter("deadLetters.count", { limit: 5 })).toThrow("[mq:deadLetters.count] filter.limit");
  });

  it("rejects a bad queue name, an empty reason and a filter that is not an object", () => {
    for (const bad of [{ queue: "" }, { queue: "*" }, { reason: "" }, { reason: 5 }, "orders", null, []]) {
      expect(() => assertDeadLetterFilter("deadLetters.replay", bad)).toThrow(expect.objectContaining({ code: MQ_ERROR_CODES.INVALID_ARGUMENT, message: expect.stringContaining("[mq:deadLetters.replay]") as string }) as Error);
    }
  });

  it("checks replay options: only a valid target queue", () => {
    expect(() => assertReplayOptions("deadLetters.replay", undefined)).not.toThrow();
    expect(() => assertReplayOptions("deadLetters.replay", { queue: "retry-later" })).not.toThrow();
    expect(() => assertReplayOptions("deadLetters.replay", { toQueue: "x" })).toThrow('[mq:deadLetters.replay] options.toQueue');
    expect(() => assertReplayOptions("deadLetters.replay", { queue: "" })).toThrow("[mq:deadLetters.replay] queue");
  });
});
