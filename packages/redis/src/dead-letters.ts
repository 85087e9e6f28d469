import {
  assertDeadLetterFilter,
  assertReplayOptions,
  DEAD_LETTER_LIST_KEYS,
  InvalidArgumentError,
  NotFoundError,
  type DeadLetter,
  type DeadLetterApi,
  type DeadLetterFilter,
} from "@mq/core";
import { list, num, str, toDeadLetter, type Reply } from "./decode";
import { decodeCursor, encodeCursor, type KeySpace } from "./keys";

/** What the dead-letter API needs from the backend. */
export interface DeadLetterContext {
  readonly keys: KeySpace;
  assertOpen(operation: string): void;
  call(keys: readonly string[], args: readonly (string | Buffer)[]): Promise<Reply>;
  queues(): Promise<string[]>;
  register(queue: string): Promise<void>;
  sameSlot(baseA: string, baseB: string): boolean;
}

interface Found {
  readonly queue: string;
  readonly score: string;
  readonly letter: DeadLetter;
  readonly raw: Reply[];
}

const MAX_LIMIT = 10_000;

/**
 * Dead letters live in their queue's slot: a sorted set scored by Redis time
 * in µs (unique per queue) plus the message hash. A listing merges the
 * queues' sets by (score, queue), so a cursor is that pair and paging is
 * stable under inserts and removals, in the order letters died.
 */
export function createRedisDeadLetterApi(ctx: DeadLetterContext): DeadLetterApi {
  const queuesOf = async (filter: DeadLetterFilter | undefined): Promise<string[]> => {
    // The filter was checked by the calling method (assertDeadLetterFilter).
    if (filter?.queue !== undefined) return [filter.queue];
    return ctx.queues();
  };

  const page = async (filter: DeadLetterFilter, limit: number, cursor: string | undefined): Promise<{ items: Found[]; more: boolean }> => {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const queues = await queuesOf(filter);
    const parts = await Promise.all(
      queues.map(async (queue) => {
        let score = "0";
        let inclusive = true;
        if (after !== undefined) {
          score = after.score;
          inclusive = queue > after.queue;
        }
        const base = ctx.keys.base(queue);
        const reply = list(await ctx.call([base], ["dlpage", score, inclusive ? "1" : "0", String(limit + 1), filter.reason ?? ""]));
        return reply.map((r): Found => {
          const row = list(r);
          const id = str(row[0])!;
          const raw = list(row[2]);
          return { queue, score: str(row[1])!, letter: toDeadLetter(queue, id, raw), raw };
        });
      }),
    );
    const all = parts.flat().sort((a, b) => Number(a.score) - Number(b.score) || (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
    return { items: all.slice(0, limit), more: all.length > limit };
  };

  const find = async (operation: string, id: string): Promise<Found | undefined> => {
    if (typeof id !== "string" || id.length === 0) throw new InvalidArgumentError(operation, "id", "must be a message id");
    const queues = await ctx.queues();
    const found = await Promise.all(
      queues.map(async (queue) => {
        const row = list(await ctx.call([ctx.keys.base(queue)], ["dlget", id]));
        if (row.length === 0) return undefined;
        const raw = list(row[2]);
        return { queue, score: str(row[1]) ?? "0", letter: toDeadLetter(queue, id, raw), raw };
      }),
    );
    return found.find((f) => f !== undefined);
  };

  const matching = async (filter: DeadLetterFilter): Promise<Found[]> => {
    const out: Found[] = [];
    let cursor: string | undefined;
    for (;;) {
      const p = await page(filter, 1000, cursor);
      out.push(...p.items);
      if (!p.more || p.items.length === 0) return out;
      const last = p.items[p.items.length - 1]!;
      cursor = encodeCursor(last.score, last.queue);
    }
  };

  /** Back into a queue: one atomic call when source and target share a slot; otherwise copy then delete (a crash between may leave both). */
  const revive = async (letters: readonly Found[], target: string | undefined): Promise<string[]> => {
    const bySource = new Map<string, Found[]>();
    for (const f of letters) {
      let g = bySource.get(f.queue);
      if (g === undefined) bySource.set(f.queue, (g = []));
      g.push(f);
    }
    const ids: string[] = [];
    for (const [source, group] of bySource) {
      const dest = target ?? source;
      await ctx.register(dest);
      const s = ctx.keys.base(source);
      const d = ctx.keys.base(dest);
      if (ctx.sameSlot(s, d)) {
        for (let i = 0; i < group.length; i += 500) {
          const revived = list(await ctx.call([s, d], ["revive", ...group.slice(i, i + 500).map((f) => f.letter.message.id)]));
          ids.push(...revived.map((r) => str(r)!));
        }
        continue;
      }
      for (const f of group) {
        const r = f.raw;
        const id = f.letter.message.id;
        await ctx.call([d], ["import", id, r[0] as Buffer, str(r[1]) ?? "", str(r[2]) ?? "1", str(r[3]) ?? "0", str(r[4]) ?? "0", str(r[9]) ?? "{}", str(r[10]) ?? ""]);
        await ctx.call([s], ["dlpurge", "", id]);
        ids.push(id);
      }
    }
    return ids;
  };

  return {
    async list(options = {}) {
      ctx.assertOpen("deadLetters.list");
      assertDeadLetterFilter("deadLetters.list", options, DEAD_LETTER_LIST_KEYS);
      const limit = options.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new InvalidArgumentError("deadLetters.list", "limit", `must be an integer from 1 to ${MAX_LIMIT}`);
      const p = await page(options, limit, options.cursor);
      const last = p.items[p.items.length - 1];
      return { items: p.items.map((f) => f.letter), ...(p.more && last !== undefined ? { nextCursor: encodeCursor(last.score, last.queue) } : {}) };
    },
    async get(id) {
      ctx.assertOpen("deadLetters.get");
      return (await find("deadLetters.get", id))?.letter;
    },
    async count(filter) {
      ctx.assertOpen("deadLetters.count");
      assertDeadLetterFilter("deadLetters.count", filter);
      const queues = await queuesOf(filter);
      const counts = await Promise.all(queues.map(async (q) => num(await ctx.call([ctx.keys.base(q)], ["dlcount", filter?.reason ?? ""])) ?? 0));
      return counts.reduce((a, b) => a + b, 0);
    },
    async replay(target, options = {}) {
      ctx.assertOpen("deadLetters.replay");
      if (typeof target !== "string") assertDeadLetterFilter("deadLetters.replay", target);
      assertReplayOptions("deadLetters.replay", options);
      let letters: Found[];
      if (typeof target === "string") {
        const f = await find("deadLetters.replay", target);
        if (f === undefined) throw new NotFoundError("dead letter", target, "list dead letters with deadLetters.list()");
        letters = [f];
      } else letters = await matching(target);
      const ids = letters.length === 0 ? [] : await revive(letters, options.queue);
      return { replayed: ids.length, ids };
    },
    async purge(filter = {}) {
      ctx.assertOpen("deadLetters.purge");
      assertDeadLetterFilter("deadLetters.purge", filter);
      const queues = await queuesOf(filter);
      const counts = await Promise.all(queues.map(async (q) => num(await ctx.call([ctx.keys.base(q)], ["dlpurge", filter.reason ?? ""])) ?? 0));
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}
