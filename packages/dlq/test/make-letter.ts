import type { DeadLetter, DeadLetterReason, Message } from "@mq/core";

/** A dead letter for tests, with sensible defaults for everything not given. */
export function makeLetter(
  id: string,
  overrides: { queue?: string; reason?: DeadLetterReason; attempts?: number; payload?: unknown; deadLetteredAt?: number } = {},
): DeadLetter {
  const queue = overrides.queue ?? "orders";
  const attempts = overrides.attempts ?? 3;
  const message: Message = {
    id,
    queue,
    payload: overrides.payload ?? { n: id },
    version: 1,
    priority: 0,
    enqueuedAt: 1_700_000_000_000,
    attempts,
  };
  return {
    message,
    queue,
    reason: overrides.reason ?? "max-retries",
    error: { name: "Error", message: "boom", stack: "Error: boom\n    at handler (orders.ts:1:1)" },
    attemptTimestamps: Array.from({ length: attempts }, (_, i) => 1_700_000_000_000 + i * 1000),
    deadLetteredAt: overrides.deadLetteredAt ?? 1_700_000_010_000,
  };
}

/** Message ids of a list of letters, for compact assertions. */
export function ids(letters: readonly DeadLetter[]): string[] {
  return letters.map((l) => l.message.id);
}
