import { NotFoundError, type DeadLetterApi, type DeadLetterFilter } from "@mq/core";
import type { DeadLetterStore } from "@mq/dlq";
import type { Op } from "./ops";
import { assertName } from "./validate";

/** What the dead-letter API needs from the engine. */
export interface DeadLetterApiContext {
  readonly store: DeadLetterStore;
  assertOpen(): void;
  commit(ops: readonly Op[]): Promise<number>;
  now(): number;
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
      ctx.assertOpen();
      return Promise.resolve(ctx.store.list(options));
    },
    get(id) {
      ctx.assertOpen();
      return Promise.resolve(ctx.store.get(id));
    },
    count(filter) {
      ctx.assertOpen();
      return Promise.resolve(ctx.store.count(filter));
    },
    async replay(target, options = {}) {
      ctx.assertOpen();
      if (options.queue !== undefined) assertName("deadLetters.replay", "queue", options.queue);
      let ids: string[];
      if (typeof target === "string") {
        if (!ctx.store.has(target)) throw new NotFoundError("dead letter", target, "list dead letters with deadLetters.list()");
        ids = [target];
      } else ids = idsMatching(target);
      if (ids.length > 0) await ctx.commit([["revive", ids, ctx.now(), options.queue]]);
      return { replayed: ids.length, ids };
    },
    async purge(filter = {}) {
      ctx.assertOpen();
      const ids = idsMatching(filter);
      if (ids.length > 0) await ctx.commit([["purge", ids]]);
      return ids.length;
    },
  };
}
