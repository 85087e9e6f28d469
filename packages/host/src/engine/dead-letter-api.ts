import { assertDeadLetterFilter, assertReplayOptions, DEAD_LETTER_LIST_KEYS, InvalidArgumentError, NotFoundError, type DeadLetterApi, type DeadLetterFilter } from "@mq/core";
import type { DeadLetterStore } from "@mq/dlq";
import type { Op } from "./ops";

/** What the dead-letter API needs from the engine. */
export interface DeadLetterApiContext {
  readonly store: DeadLetterStore;
  assertOpen(): void;
  commit(ops: readonly Op[]): Promise<number>;
  now(): number;
}

function assertId(operation: string, id: unknown): asserts id is string {
  if (typeof id !== "string" || id.length === 0) throw new InvalidArgumentError(operation, "id", "must be a message id (a non-empty string)");
}

/** The store checks limit and cursor itself; its errors are re-issued under the operation that was called. */
function asOperation<T>(operation: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof InvalidArgumentError && error.message.startsWith("[mq:dlq] ")) {
      throw new InvalidArgumentError(operation, error.argument, error.message.slice(`[mq:dlq] ${error.argument}: `.length), { cause: error });
    }
    throw error;
  }
}

/** Runs a synchronous read so that a bad argument rejects the returned promise instead of throwing. */
function settle<T>(run: () => T): Promise<T> {
  // The executor's throw becomes the rejection.
  return new Promise<T>((resolve) => resolve(run()));
}

/** The engine's {@link DeadLetterApi}: reads come from the store, changes go through the journal. */
export function createDeadLetterApi(ctx: DeadLetterApiContext): DeadLetterApi {
  const idsMatching = (filter: DeadLetterFilter): string[] => {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = ctx.store.list({ ...filter, limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
      for (const letter of page.items) ids.push(letter.message.id);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return ids;
  };

  return {
    list(options = {}) {
      return settle(() => {
        ctx.assertOpen();
        assertDeadLetterFilter("deadLetters.list", options, DEAD_LETTER_LIST_KEYS);
        return asOperation("deadLetters.list", () => ctx.store.list(options));
      });
    },
    get(id) {
      return settle(() => {
        ctx.assertOpen();
        assertId("deadLetters.get", id);
        return ctx.store.get(id);
      });
    },
    count(filter) {
      return settle(() => {
        ctx.assertOpen();
        assertDeadLetterFilter("deadLetters.count", filter);
        return ctx.store.count(filter);
      });
    },
    async replay(target, options = {}) {
      ctx.assertOpen();
      assertReplayOptions("deadLetters.replay", options);
      let ids: string[];
      if (typeof target === "string") {
        assertId("deadLetters.replay", target);
        if (!ctx.store.has(target)) throw new NotFoundError("dead letter", target, "list dead letters with deadLetters.list()");
        ids = [target];
      } else {
        if (target === undefined) throw new InvalidArgumentError("deadLetters.replay", "target", "must be a dead letter's message id or a filter ({} replays every dead letter)");
        assertDeadLetterFilter("deadLetters.replay", target);
        ids = idsMatching(target);
      }
      if (ids.length > 0) await ctx.commit([["revive", ids, ctx.now(), options.queue]]);
      return { replayed: ids.length, ids };
    },
    async purge(filter = {}) {
      ctx.assertOpen();
      assertDeadLetterFilter("deadLetters.purge", filter);
      const ids = idsMatching(filter);
      if (ids.length > 0) await ctx.commit([["purge", ids]]);
      return ids.length;
    },
  };
}
