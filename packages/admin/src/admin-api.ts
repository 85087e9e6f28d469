import { InvalidArgumentError, MQ_ERROR_CODES, MqError, NotFoundError, NotSupportedError, type DeadLetter, type DeadLetterFilter, type Message, type SnapshotInfo } from "@mq/core";
import type { AdminHost, HandlerStats, HealthLike } from "./admin-host";
import { toJsonSafe } from "./json-safe";
import { limitsOf, toSettings, type LimitsUpdate, type QueueLimits } from "./limits";
import { queueMetrics, type AdminMetrics, type QueueMetrics } from "./queue-metrics";

/** A handler as admin shows it. */
export interface HandlerInfo {
  readonly queue: string;
  readonly parallelism: number;
  readonly running: number;
  readonly paused: boolean;
  readonly buffered: number;
  readonly succeeded: number;
  readonly failed: number;
}

/** A dead letter with its payload made JSON-safe. */
export type DeadLetterView = DeadLetter;

/** Operate a running host: read numbers, scale and pause handlers, snapshot, inspect and act on messages and dead letters. */
export interface AdminApi {
  /** Every queue's depth, totals, rates and latency, plus totals over all queues. */
  metrics(): Promise<AdminMetrics>;
  /** One queue's metrics; `NotFoundError` for a queue the host does not know. */
  queue(name: string): Promise<QueueMetrics>;
  /** Registered handlers with their parallelism and state. */
  handlers(): HandlerInfo[];
  /** Sets a handler's parallelism; `NotFoundError` if the queue has no handler. */
  scale(queue: string, parallelism: number): HandlerInfo;
  pause(queue: string): HandlerInfo;
  resume(queue: string): HandlerInfo;
  /** Writes a snapshot now. */
  snapshot(): Promise<SnapshotInfo>;
  /** The host's health report. */
  health(): HealthLike;
  /** Up to `limit` ready messages of `queue` without leasing them; `NotSupportedError` when the host or its backend has no `peek`. */
  peek(queue: string, limit?: number): Promise<Message[]>;
  /** Deletes the ready and delayed messages of `queue`; `NotSupportedError` when the host or its backend has no `purge`. */
  purge(queue: string): Promise<{ readonly purged: number }>;
  /** The rate limits, in-flight cap and group failure mode `queue` runs with (`null`: no limit). */
  limits(queue: string): Promise<QueueLimits>;
  /**
   * Changes `queue`'s limits at runtime (only the fields given; `null` removes
   * a limit) and resolves with the limits now in force. Durable on the
   * embedded host (journaled like `configureQueue`). Needs a host with `configureQueue`.
   */
  setLimits(queue: string, limits: LimitsUpdate): Promise<QueueLimits>;
  readonly deadLetters: {
    list(options?: DeadLetterFilter & { readonly limit?: number; readonly cursor?: string }): Promise<{ readonly items: DeadLetterView[]; readonly nextCursor?: string; readonly total: number }>;
    /** `NotFoundError` when there is no dead letter with that message id. */
    get(id: string): Promise<DeadLetterView>;
    /** Replays one dead letter by id, or every match of a filter; optionally into another queue. */
    replay(target: string | DeadLetterFilter, options?: { readonly queue?: string }): Promise<{ readonly replayed: number; readonly ids: readonly string[] }>;
    /** Deletes matching dead letters (all when no filter). */
    purge(filter?: DeadLetterFilter): Promise<{ readonly purged: number }>;
  };
}

/** Most messages one peek returns. */
export const MAX_PEEK = 1_000;

/**
 * Creates the programmatic admin API over a host (`QueueHost` from
 * `@mq/host`, or anything with the {@link AdminHost} shape). It starts the
 * host's latency recording, so numbers are there by the first read.
 */
export function createAdminApi(host: AdminHost): AdminApi {
  host.observe?.();
  const knownQueue = async (name: string): Promise<void> => {
    if (typeof name !== "string" || name === "") throw new InvalidArgumentError("admin", "queue", "must be a non-empty queue name");
    // stats() would create the queue, so ask the list first.
    if (!(await host.queues()).includes(name) && !host.workers().some((w) => w.queue === name)) {
      throw new NotFoundError("queue", name, "see GET /api/queues for the queues this host knows");
    }
  };
  const handlerOf = (queue: string): HandlerInfo => {
    const stats = host.workers().find((w) => w.queue === queue);
    if (stats === undefined) throw new NotFoundError("handler for queue", queue, "register one with host.handle() first");
    return toHandlerInfo(stats);
  };
  return {
    async metrics() {
      const names = new Set(await host.queues());
      for (const w of host.workers()) names.add(w.queue);
      const queues = await Promise.all([...names].sort().map((name) => queueMetrics(host, name)));
      const all = await host.stats("*");
      return { at: Date.now(), queues, total: { ready: all.ready, delayed: all.delayed, inFlight: all.inFlight, deadLettered: all.deadLettered, totals: all.totals } };
    },
    async queue(name) {
      await knownQueue(name);
      return queueMetrics(host, name);
    },
    handlers: () => host.workers().map(toHandlerInfo),
    scale(queue, parallelism) {
      handlerOf(queue);
      if (!Number.isInteger(parallelism) || parallelism < 1) throw new InvalidArgumentError("admin", "parallelism", "must be an integer >= 1");
      host.scale(queue, parallelism);
      return handlerOf(queue);
    },
    pause(queue) {
      handlerOf(queue);
      host.pause(queue);
      return handlerOf(queue);
    },
    resume(queue) {
      handlerOf(queue);
      host.resume(queue);
      return handlerOf(queue);
    },
    snapshot: () => host.snapshot(),
    health: () => host.health(),
    async peek(queue, limit = 10) {
      await knownQueue(queue);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PEEK) throw new InvalidArgumentError("admin", "limit", `must be an integer from 1 to ${MAX_PEEK}`);
      if (host.peek === undefined) throw new NotSupportedError("peek", "upgrade @mq/host to a version with host.peek(queue, limit)", { part: "admin" });
      const messages = await backendSupports("peek", "peeking at a queue", host.peek(queue, limit));
      return messages.map(safeMessage);
    },
    async purge(queue) {
      await knownQueue(queue);
      if (host.purge === undefined) throw new NotSupportedError("purge", "upgrade @mq/host to a version with host.purge(queue)", { part: "admin" });
      return { purged: await backendSupports("purge", "purging a queue", host.purge(queue)) };
    },
    async limits(queue) {
      assertQueueName(queue);
      return limitsOf(await host.stats(queue));
    },
    async setLimits(queue, limits) {
      assertQueueName(queue);
      const settings = toSettings(limits);
      if (host.configureQueue === undefined) throw new NotSupportedError("setLimits", "upgrade @mq/host to a version with host.configureQueue(queue, settings)", { part: "admin" });
      await host.configureQueue(queue, settings);
      return limitsOf(await host.stats(queue));
    },
    deadLetters: {
      async list(options = {}) {
        const page = await host.deadLetters.list(options);
        const filter = { ...(options.queue === undefined ? {} : { queue: options.queue }), ...(options.reason === undefined ? {} : { reason: options.reason }) };
        const total = await host.deadLetters.count(filter);
        return { items: page.items.map(safeLetter), ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }), total };
      },
      async get(id) {
        const letter = await host.deadLetters.get(id);
        if (letter === undefined) throw new NotFoundError("dead letter", id, "list them with GET /api/dead-letters");
        return safeLetter(letter);
      },
      async replay(target, options) {
        if (typeof target === "string" && (await host.deadLetters.get(target)) === undefined) throw new NotFoundError("dead letter", target, "it may have been replayed or purged already");
        return host.deadLetters.replay(target, options);
      },
      async purge(filter = {}) {
        return { purged: await host.deadLetters.purge(filter) };
      },
    },
  };
}

// ---------------------------------------------------------------------------

/**
 * The host has the method but its backend may not: `@mq/host` then rejects
 * with `NotSupportedError`, which passes through. Hosts before it rejected
 * with `InvalidArgumentError` on the argument `backend`: a missing capability
 * too, not bad input, so it becomes a `NotSupportedError` (HTTP 501).
 */
async function backendSupports<T>(capability: string, what: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (MqError.hasCode(error, MQ_ERROR_CODES.INVALID_ARGUMENT) && (error as { argument?: unknown }).argument === "backend") {
      throw new NotSupportedError(capability, `its backend does not support ${what}`, { part: "admin", cause: error });
    }
    throw error;
  }
}

function assertQueueName(name: unknown): asserts name is string {
  if (typeof name !== "string" || name === "" || name === "*") throw new InvalidArgumentError("admin", "queue", "must be a queue name");
}

function toHandlerInfo(w: HandlerStats): HandlerInfo {
  return { queue: w.queue, parallelism: w.parallelism, running: w.running, paused: w.paused, buffered: w.buffered, succeeded: w.succeeded, failed: w.failed };
}

function safeMessage(m: Message): Message {
  return { ...m, payload: toJsonSafe(m.payload) };
}

function safeLetter(l: DeadLetter): DeadLetter {
  return { ...l, message: safeMessage(l.message) };
}
