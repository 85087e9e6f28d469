import type { Logger, Persistence, PersistenceEvents, RecoveryHandler, RecoveryReport, SnapshotInfo } from "@mq/core";
import { EventEmitter } from "eventemitter3";
import { afterEach, describe, expect, it } from "vitest";
import { withFailingAppends } from "@mq/core/testing";
import { createMemoryPersistence } from "@mq/journal/memory";
import { createQueueHost, MQ_ERROR_CODES, MqError, NotSupportedError, PersistenceError, UnsupportedVersionError, type QueueHost } from "../src/index";
import { memoryHost } from "./support";

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );

/** A Persistence whose recovery hands the engine whatever the test wants, and whose appends may fail. */
function scriptedPersistence(recover: (handler: RecoveryHandler) => void, appendError?: Error): Persistence {
  let lsn = 0;
  return {
    contractVersion: 1,
    kind: "scripted",
    durability: "none",
    events: new EventEmitter<PersistenceEvents>(),
    get lastLsn() {
      return lsn;
    },
    open(handler: RecoveryHandler): Promise<RecoveryReport> {
      recover(handler);
      return Promise.resolve({ snapshotLsn: 0, lastLsn: 0, framesReplayed: 0, opsReplayed: 0, truncated: [], skipped: [], durationMs: 0 } as unknown as RecoveryReport);
    },
    append(): Promise<number> {
      return appendError === undefined ? Promise.resolve(++lsn) : Promise.reject(appendError);
    },
    snapshot: () => Promise.resolve({ lsn, items: 0, bytes: 0, durationMs: 0 } satisfies SnapshotInfo),
    close: () => Promise.resolve(),
  };
}

describe("hardening: inputs, reads and stored data", () => {
  let host: QueueHost | undefined;
  afterEach(async () => {
    await host?.stop().catch(() => undefined);
    host = undefined;
  });
  const start = async (options: Parameters<typeof memoryHost>[0] = {}): Promise<QueueHost> => {
    host = memoryHost(options).host;
    await host.start();
    return host;
  };

  it.each([
    ["enqueue", (h: QueueHost) => h.enqueue("q", 1, { delay: 5000 } as never), "delay", "delayMs"],
    ["enqueueBatch", (h: QueueHost) => h.enqueueBatch([{ queue: "q", payload: 1, ttl: 5 } as never]), "ttl", "ttlMs"],
    ["receive", (h: QueueHost) => h.receive("q", { maxx: 5 } as never), "maxx", "max"],
    ["nack", async (h: QueueHost) => {
      await h.enqueue("q", 1);
      const [d] = await h.receive("q");
      return h.nack(d!.receipt, { delay: 10 } as never);
    }, "delay", "delayMs"],
  ])("%s rejects an unknown option key, naming it, and changes nothing", async (operation, call, key, hint) => {
    const h = await start();
    const error = await failure(call(h));
    expect(error).toMatchObject({ code: MQ_ERROR_CODES.INVALID_ARGUMENT });
    expect((error as Error).message).toContain(`[mq:${operation === "enqueueBatch" ? "enqueue" : operation}]`);
    expect((error as Error).message).toContain(key);
    expect((error as Error).message).toContain(hint);
    const s = await h.stats("q");
    expect(s.totals.retried).toBe(0);
    if (operation.startsWith("enqueue")) expect(s.ready).toBe(0);
  });

  it.each([
    ["enqueueBatch", (h: QueueHost) => h.enqueueBatch([{ queue: "q", payload: 1 }], { waitIfFul: true } as never), "waitIfFul"],
    ["stop", (h: QueueHost) => h.stop({ drainTimeout: 5 } as never), "drainTimeout"],
    ["waitForResult", (h: QueueHost) => h.waitForResult("id-1", { timeout: 5 } as never), "timeout"],
    ["deadLetters.list", (h: QueueHost) => h.deadLetters.list({ queu: "q" } as never), "queu"],
    ["deadLetters.count", (h: QueueHost) => h.deadLetters.count({ reasn: "expired" } as never), "reasn"],
    ["deadLetters.replay", (h: QueueHost) => h.deadLetters.replay({ queu: "q" } as never), "queu"],
    ["deadLetters.replay", (h: QueueHost) => h.deadLetters.replay({}, { toQueue: "q" } as never), "toQueue"],
    ["deadLetters.purge", (h: QueueHost) => h.deadLetters.purge({ queu: "q" } as never), "queu"],
    ["configureQueue", (h: QueueHost) => h.configureQueue("q", { maxAttempt: 3 } as never), "maxAttempt"],
    ["handle", (h: QueueHost) => Promise.resolve().then(() => h.handle("q", () => undefined, { maxRetry: 3 } as never)), "maxRetry"],
  ])("%s rejects an unknown option key (%#), naming the operation and the key", async (operation, call, key) => {
    const h = await start();
    const error = await failure(call(h));
    expect(error).toBeInstanceOf(MqError);
    expect((error as Error).message).toContain(`[mq:${operation}]`);
    expect((error as Error).message).toContain(key);
  });

  it("a mistyped dead-letter filter deletes or replays nothing", async () => {
    const h = await start({ queues: { q: { maxAttempts: 1 } } });
    await h.enqueueBatch([{ queue: "q", payload: 1 }, { queue: "q", payload: 2 }]);
    for (const d of await h.receive("q", { max: 2 })) await h.nack(d.receipt);
    expect(await h.deadLetters.count()).toBe(2);
    await failure(h.deadLetters.purge({ queu: "other" } as never));
    await failure(h.deadLetters.replay({ reasn: "max-retries" } as never));
    await failure(h.deadLetters.purge({ queue: "" }));
    expect(await h.deadLetters.count()).toBe(2);
    expect((await h.stats("q")).ready).toBe(0);
    // Correct filters still work.
    expect(await h.deadLetters.purge({ queue: "q", reason: "max-retries" })).toBe(2);
  });

  it("names the operation that was called in validation errors", async () => {
    const h = await start();
    const messageOf = async (p: Promise<unknown>): Promise<string> => ((await failure(p)) as Error).message;
    expect(await messageOf(h.receive(""))).toContain("[mq:receive]");
    expect(await messageOf(h.bind("", "q"))).toContain("[mq:bind]");
    expect(await messageOf(h.unbind("t", ""))).toContain("[mq:unbind]");
    expect(await messageOf(h.stats(""))).toContain("[mq:stats]");
    expect(await messageOf(h.deadLetters.replay({}, { queue: "" }))).toContain("[mq:deadLetters.replay]");
    expect(await messageOf(h.nack(""))).toContain("[mq:nack]");
    expect(await messageOf(h.extend("", 10))).toContain("[mq:extend]");
    expect(await messageOf(h.release([""]))).toContain("[mq:release]");
    expect(await messageOf(h.peek(""))).toContain("[mq:peek]");
    expect(await messageOf(h.getMessage("", "id"))).toContain("[mq:getMessage]");
    expect(await messageOf(h.cancel("", "id"))).toContain("[mq:cancel]");
    expect(await messageOf(h.purge(""))).toContain("[mq:purge]");
    expect(await messageOf(h.result(""))).toContain("[mq:result]");
    expect(await messageOf(h.waitForResult(""))).toContain("[mq:waitForResult]");
    expect(await messageOf(h.unschedule(""))).toContain("[mq:unschedule]");
    expect(await messageOf(h.configureQueue("q", { maxAttempts: 0 }))).toContain("[mq:configureQueue]");
    expect(await messageOf(h.deadLetters.list({ limit: 0 }))).toContain("[mq:deadLetters.list]");
    expect(await messageOf(h.deadLetters.list({ cursor: "not-a-cursor" }))).toContain("[mq:deadLetters.list]");
    expect(await messageOf(h.deadLetters.get(""))).toContain("[mq:deadLetters.get]");
    expect(await messageOf(h.deadLetters.purge({ queue: "" }))).toContain("[mq:deadLetters.purge]");
    expect(await messageOf(Promise.resolve().then(() => h.handle("", () => undefined)))).toContain("[mq:handle]");
    expect(() => h.latency("")).toThrow("[mq:latency]");
    expect(() => h.rates("")).toThrow("[mq:rates]");
  });

  it("reads never create queues", async () => {
    const h = await start();
    await h.enqueue("real", 1);
    const typo = await h.stats("typo");
    expect([typo.ready, typo.inFlight, typo.delayed]).toEqual([0, 0, 0]);
    expect(await h.receive("typo-2", { max: 5 })).toEqual([]);
    await h.deadLetters.list({ queue: "typo-3" });
    // A long poll that ends empty, and every other read by queue name.
    expect(await h.receive("typo-4", { max: 5, waitMs: 20 })).toEqual([]);
    expect(await h.peek("typo-5")).toEqual([]);
    expect((await h.getMessage("typo-6", "no-such-id")).state).toBe("unknown");
    expect(await h.purge("typo-7")).toBe(0);
    expect(await h.deadLetters.count({ queue: "typo-8" })).toBe(0);
    expect(await h.bindings("typo-9")).toEqual([]);
    h.latency("typo-10");
    h.rates("typo-11");
    expect(await h.queues()).toEqual(["real"]);
    expect((await h.stats("*")).ready).toBe(1);
  });

  it("rejects a payload larger than the queue's whole maxBytes at once, even with waitIfFull", async () => {
    const h = await start({ queues: { small: { maxBytes: 64 } } });
    const big = "x".repeat(200);
    expect(await failure(h.enqueue("small", big))).toMatchObject({ code: MQ_ERROR_CODES.PAYLOAD_TOO_LARGE, limit: 64 });
    expect(await failure(h.enqueue("small", big, { waitIfFull: true }))).toMatchObject({ code: MQ_ERROR_CODES.PAYLOAD_TOO_LARGE });
    // A payload that fits the budget but not the room left still gets QueueFullError.
    await h.enqueue("small", "y".repeat(40));
    expect(await failure(h.enqueue("small", "z".repeat(40)))).toMatchObject({ code: MQ_ERROR_CODES.QUEUE_FULL });
  });

  it("shows the settings a queue runs with in stats, runtime changes over code over defaults", async () => {
    const h = await start({ defaults: { maxAttempts: 3, defaultLeaseMs: 1_000 }, queues: { q: { maxAttempts: 4 } } });
    expect((await h.stats("q")).settings).toMatchObject({ maxAttempts: 4, defaultLeaseMs: 1_000, capacity: 1_000_000 });
    expect((await h.stats("other")).settings).toMatchObject({ maxAttempts: 3 });
    await h.configureQueue("q", { maxAttempts: 9 });
    expect((await h.stats("q")).settings).toMatchObject({ maxAttempts: 9, defaultLeaseMs: 1_000 });
  });

  it("releases through the host: ready again with the attempt unused", async () => {
    const h = await start();
    await h.enqueue("q", "m");
    const [d] = await h.receive("q", { max: 1 });
    await h.release(d!.receipt);
    const [again] = await h.receive("q", { max: 1 });
    expect(again?.attempt).toBe(1);
    expect((await h.stats("q")).totals.retried).toBe(0);
  });

  it("stops recovery on an operation type it does not know, saying so", async () => {
    host = createQueueHost({ persistence: scriptedPersistence((h) => h.apply([["teleport", "id-1"]], 1)) });
    const error = await failure(host.start());
    expect(error).toBeInstanceOf(UnsupportedVersionError);
    expect(error).toMatchObject({ code: MQ_ERROR_CODES.UNSUPPORTED_VERSION, found: "teleport" });
    host = undefined;
  });

  it("stops recovery on a snapshot written by a newer version, naming the version", async () => {
    const snapshot = { meta: { v: 7, configured: [], bindings: [], dedup: {}, deadLetters: {} }, items: [] };
    host = createQueueHost({ persistence: scriptedPersistence((h) => h.restore(snapshot, 5)) });
    const error = await failure(host.start());
    expect(error).toMatchObject({ code: MQ_ERROR_CODES.UNSUPPORTED_VERSION, found: "7" });
    expect((error as Error).message).toContain("7");
    host = undefined;
  });

  it("logs a journal failure once, however many calls are refused after it", async () => {
    const lines: { level: string; fields: unknown; message: string }[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (fields, message) => lines.push({ level: "warn", fields, message }),
      error: (fields, message) => lines.push({ level: "error", fields, message }),
    };
    const diskFull = Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    host = createQueueHost({ logger, persistence: scriptedPersistence(() => undefined, diskFull) });
    await host.start();
    await failure(host.enqueue("q", 1));
    for (let i = 0; i < 5; i++) expect(await failure(host.enqueue("q", i))).toMatchObject({ code: MQ_ERROR_CODES.PERSISTENCE });
    const errors = lines.filter((l) => l.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain("journal failed");
  });

  it("when the journal fails under running handlers: they stop, health says why, one error line", async () => {
    const lines: { level: string; message: string }[] = [];
    const at = (level: string) => (_fields: unknown, message: string) => void lines.push({ level, message });
    const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
    // Fault injection: appends start failing, as on a full disk.
    const { persistence, failAppends } = withFailingAppends(createMemoryPersistence());
    host = createQueueHost({ persistence, logger });
    const handled: unknown[] = [];
    host.handle("jobs", (payload) => void handled.push(payload), { maxParallelism: 4 });
    await host.start();
    await host.enqueue("jobs", 1);
    await expect.poll(() => handled, { timeout: 5_000 }).toEqual([1]);
    failAppends(new PersistenceError("ENOSPC: no space left on device", "ENOSPC"));
    expect(await failure(host.enqueue("jobs", 2))).toMatchObject({ code: MQ_ERROR_CODES.PERSISTENCE, errno: "ENOSPC" });
    for (let i = 0; i < 3; i++) expect(await failure(host.enqueue("jobs", i))).toMatchObject({ errno: "FAIL_STOPPED" });
    // Long enough for the handler's receives to be refused and retried several times.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(handled).toEqual([1]);
    expect(host.health()).toMatchObject({ ok: false, status: "failed", handlersRunning: false, failure: { code: MQ_ERROR_CODES.PERSISTENCE, message: expect.stringContaining("ENOSPC") as string } });
    expect(lines.filter((l) => l.level === "error")).toEqual([{ level: "error", message: expect.stringContaining("journal failed") as string }]);
    // The handlers' refused receives are one warning, not a line per retry.
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
  });

  it("hands the logger option to handlers as ctx.log, with the message's fields", async () => {
    const lines: { fields: Record<string, unknown>; message: string }[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (fields, message) => lines.push({ fields: fields, message }),
      warn: () => undefined,
      error: () => undefined,
    };
    const h = await start({ logger });
    h.handle("jobs", (_payload, ctx) => {
      ctx.log.info({ step: "charge" }, "charging");
    });
    const { id } = await h.enqueue("jobs", 1);
    await expect.poll(() => lines.length, { timeout: 5_000 }).toBe(1);
    expect(lines[0]).toMatchObject({ message: "charging", fields: { step: "charge", queue: "jobs", messageId: id, attempt: 1 } });
  });

  it("keeps a purge across a restart", async () => {
    const { host: first, restart, store } = memoryHost();
    await first.start();
    await first.enqueueBatch([{ queue: "q", payload: 1 }, { queue: "q", payload: 2 }]);
    expect(await first.purge("q")).toBe(2);
    await first.enqueue("q", 3);
    store.crash();
    host = restart();
    await host.start();
    expect((await host.receive("q", { max: 10 })).map((d) => d.message.payload)).toEqual([3]);
  });

  it("checks option keys and dead-letter filters on a custom backend too, before it is called", async () => {
    const owner = await start();
    const reached: string[] = [];
    // A backend that checks nothing: whatever reaches it would be obeyed.
    const lax = new Proxy(owner.backend, {
      get(target, property) {
        if (property === "receive") return (queue: string) => (reached.push(`receive ${queue}`), Promise.resolve([]));
        if (property === "nack") return () => (reached.push("nack"), Promise.resolve({ action: "retried", attempts: 1 }));
        if (property === "deadLetters") {
          const note = <T>(name: string, value: T) => (): Promise<T> => (reached.push(name), Promise.resolve(value));
          return { list: note("list", { items: [] }), get: note("get", undefined), count: note("count", 0), replay: note("replay", { replayed: 0, ids: [] }), purge: note("purge", 99) };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const guest = createQueueHost({ backend: lax });
    await guest.start();
    for (const call of [
      () => guest.receive("q", { maxx: 5 } as never),
      () => guest.nack("r-1", { delay: 5 } as never),
      () => guest.deadLetters.purge({ queu: "orders" } as never),
      () => guest.deadLetters.replay({ reasn: "expired" } as never),
      () => guest.deadLetters.replay({}, { toQueue: "x" } as never),
      () => guest.deadLetters.list({ queu: "orders" } as never),
      () => guest.deadLetters.count({ queue: "" }),
    ]) {
      expect(await failure(call())).toMatchObject({ code: MQ_ERROR_CODES.INVALID_ARGUMENT });
    }
    expect(reached).toEqual([]);
    await guest.receive("q", { max: 2 });
    expect(await guest.deadLetters.purge({ queue: "orders" })).toBe(99);
    expect(reached).toEqual(["receive q", "purge"]);
    await guest.stop();
  });

  it("answers NotSupportedError, naming the capability, when a custom backend lacks an optional method", async () => {
    const owner = await start();
    await owner.enqueue("q", 1);
    const bare = new Proxy(owner.backend, {
      get(target, property) {
        if (property === "peek" || property === "purge" || property === "schedule") return undefined;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const guest = createQueueHost({ backend: bare });
    await guest.start();
    for (const [capability, call] of [
      ["peek", () => guest.peek("q")],
      ["purge", () => guest.purge("q")],
      ["schedule", () => guest.schedule("s", { everyMs: 1_000, queue: "q", payload: 1 })],
    ] as const) {
      const error = await failure(call());
      expect(error).toBeInstanceOf(NotSupportedError);
      expect(error).toMatchObject({ code: MQ_ERROR_CODES.NOT_SUPPORTED, capability });
      expect((error as Error).message).toMatch(new RegExp(`${capability} is not supported.*backend`));
    }
    expect((await owner.stats("q")).ready).toBe(1);
    await guest.stop();
  });

  it("runs on a custom backend given as an option", async () => {
    const owner = await start();
    const guest = createQueueHost({ backend: owner.backend });
    await guest.start();
    const seen: unknown[] = [];
    guest.handle("jobs", (payload) => {
      seen.push(payload);
    });
    await owner.enqueue("jobs", { n: 1 });
    await expect.poll(() => seen, { timeout: 5_000 }).toEqual([{ n: 1 }]);
    await guest.stop();
    expect(() => createQueueHost({ backend: owner.backend, dataDir: "/tmp/x" })).toThrow(/either backend/);
  });
});
