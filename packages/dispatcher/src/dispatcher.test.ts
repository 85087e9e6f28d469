import { HandlerError, HostClosedError, InvalidArgumentError, NotFoundError, PersistenceError } from "@mq/core";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryBackend } from "../test/support/memory-backend";
import { advance, fill, manualSetup, realSetup, waitFor } from "../test/support/harness";
import { createDispatcher } from "./dispatcher";
import type { Dispatcher, HandlerContext } from "./types";

let running: Dispatcher | undefined;
afterEach(async () => {
  await running?.stop({ drainTimeoutMs: 0 });
  running = undefined;
});

describe("createDispatcher", () => {
  it("runs the handler for an enqueued message and acks it", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const seen: unknown[] = [];
    dispatcher.handle<{ n: number }>("orders", (payload, ctx) => {
      seen.push({ payload, attempt: ctx.attempt, id: ctx.message.id });
    });
    const [id] = await fill(backend, "orders", 1);
    await waitFor(() => backend.acked.length === 1, "ack");
    expect(seen).toEqual([{ payload: { n: 0 }, attempt: 1, id }]);
    expect(backend.acked).toEqual([id]);
    expect(backend.pending("orders")).toEqual([]);
    expect(dispatcher.stats("orders")[0]).toMatchObject({ succeeded: 1, failed: 0, running: 0 });
  });

  it("processes messages enqueued before start", async () => {
    const backend = new MemoryBackend();
    await backend.open();
    await fill(backend, "q", 5);
    const dispatcher = createDispatcher(backend);
    running = dispatcher;
    dispatcher.handle("q", () => undefined);
    dispatcher.start();
    dispatcher.start(); // idempotent
    await waitFor(() => backend.acked.length === 5, "5 acks");
  });

  it("applies maxRetries per failure and never rewrites the queue's maxAttempts", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    await backend.configureQueue("q", { maxAttempts: 10 });
    let calls = 0;
    dispatcher.handle(
      "q",
      () => {
        calls++;
        throw new Error("always");
      },
      { maxRetries: 1, backoff: 0 },
    );
    const [id] = await fill(backend, "q", 1);
    await advance(clock, 50);
    expect(calls).toBe(2);
    expect(await backend.deadLetters.get(id!)).toMatchObject({ reason: "max-retries" });
    expect(backend.settingsOf("q")).toEqual({ maxAttempts: 10 });
    expect(dispatcher.stats("q")[0]).toMatchObject({ retryPolicy: { from: "handler", maxAttempts: 2 }, retried: 1, deadLettered: 1 });
  });

  it("without maxRetries follows the queue's maxAttempts, including runtime changes", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    let calls = 0;
    dispatcher.handle(
      "q",
      () => {
        calls++;
        throw new Error("always");
      },
      { backoff: 0 },
    );
    expect(dispatcher.stats("q")[0]?.retryPolicy).toEqual({ from: "queue" });
    await backend.configureQueue("q", { maxAttempts: 3 });
    const [id] = await fill(backend, "q", 1);
    await advance(clock, 50);
    expect(calls).toBe(3);
    expect(await backend.deadLetters.get(id!)).toMatchObject({ reason: "max-retries" });
    expect(backend.settingsOf("q")).toEqual({ maxAttempts: 3 });
  });

  it("accepts an object with handle() and keeps `this`", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    class Handler {
      readonly seen: number[] = [];
      handle(payload: { n: number }): void {
        this.seen.push(payload.n);
      }
    }
    const handler = new Handler();
    dispatcher.handle("q", handler);
    await fill(backend, "q", 3);
    await waitFor(() => backend.acked.length === 3, "acks");
    expect(handler.seen).toEqual([0, 1, 2]);
  });

  it("wraps a non-Error throw in HandlerError and reports it", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const failures: unknown[] = [];
    dispatcher.events.on("failed", (e) => failures.push(e.error));
    dispatcher.handle(
      "q",
      () => {
        throw { reason: "nope" }; // eslint-disable-line @typescript-eslint/only-throw-error
      },
      { maxRetries: 0 },
    );
    await fill(backend, "q", 1);
    await waitFor(() => failures.length === 1, "failure");
    await waitFor(() => dispatcher.stats("q")[0]!.deadLettered === 1, "dead letter");
    expect(failures[0]).toMatchObject({ name: HandlerError.name, code: "MQ_HANDLER_FAILED", message: expect.stringContaining('{"reason":"nope"}') });
    const [letter] = (await backend.deadLetters.list()).items;
    expect(letter?.error).toMatchObject({ name: "HandlerError", stack: expect.any(String) });
  });

  it("treats a synchronous throw and a rejected promise alike", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    dispatcher.handle("sync", () => {
      throw new Error("sync boom");
    }, { maxRetries: 0 });
    dispatcher.handle("async", async () => {
      await Promise.resolve();
      throw new Error("async boom");
    }, { maxRetries: 0 });
    await fill(backend, "sync", 1);
    await fill(backend, "async", 1);
    await waitFor(() => dispatcher.stats().every((s) => s.deadLettered === 1), "both dead-lettered");
    const messages = (await backend.deadLetters.list()).items.map((d) => d.error?.message).sort();
    expect(messages).toEqual(["async boom", "sync boom"]);
  });

  it("emits started and succeeded with durations", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const events: string[] = [];
    dispatcher.events.on("started", (e) => events.push(`started:${e.attempt}:${typeof e.enqueuedAt}`));
    dispatcher.events.on("succeeded", (e) => events.push(`succeeded:${e.attempt}:${e.durationMs >= 0}:${e.published}`));
    dispatcher.handle("q", (_p, ctx: HandlerContext) => ctx.publish("next", 1));
    await fill(backend, "q", 1);
    await waitFor(() => events.length === 2, "events");
    expect(events).toEqual(["started:1:number", "succeeded:1:true:1"]);
  });

  it("survives a throwing event listener", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    dispatcher.events.on("started", () => {
      throw new Error("listener bug");
    });
    dispatcher.handle("q", () => undefined);
    await fill(backend, "q", 2);
    await waitFor(() => backend.acked.length === 2, "acks");
  });

  it("logs an error event nobody listens to at error level, and the same failure again only at debug", async () => {
    const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
    const { clock, backend, dispatcher } = await manualSetup({ logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } });
    running = dispatcher;
    backend.failReceives = { count: 2, error: new Error("disk on fire") };
    dispatcher.handle("q", () => undefined);
    await fill(backend, "q", 1);
    await advance(clock, 10);
    expect(lines.filter((l) => l.fields.operation === "receive")).toEqual([
      { level: "error", fields: expect.objectContaining({ queue: "q", operation: "receive", error: expect.stringContaining("disk on fire") }), message: "receive failed" },
    ]);
    const heard: string[] = [];
    dispatcher.events.on("error", (e) => heard.push(e.operation));
    await advance(clock, 200);
    expect(heard).toEqual(["receive"]);
    // The listener hears every failure; the log says it once, not once per retry.
    expect(lines.filter((l) => l.fields.operation === "receive").map((l) => l.level)).toEqual(["error", "debug"]);
    await advance(clock, 500);
    expect(backend.acked).toHaveLength(1);
  });

  it("logs a fail-stopped backend's refusals (errno FAIL_STOPPED) as one warning: the backend reported its failure", async () => {
    const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
    const { clock, backend, dispatcher } = await manualSetup({ logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } });
    running = dispatcher;
    backend.failReceives = { count: 5, error: new PersistenceError("receive refused: the journal failed earlier (ENOSPC)", "FAIL_STOPPED") };
    dispatcher.handle("q", () => undefined);
    await fill(backend, "q", 1);
    await advance(clock, 2_000);
    expect(lines.filter((l) => l.fields.operation === "receive").map((l) => l.level)).toEqual(["warn", "debug", "debug", "debug", "debug"]);
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
  });

  it("survives a throwing logger", async () => {
    const boom = () => {
      throw new Error("logger bug");
    };
    const { backend, dispatcher } = await realSetup({ logger: { debug: boom, info: boom, warn: boom, error: boom } });
    running = dispatcher;
    dispatcher.handle(
      "q",
      (_p, ctx: HandlerContext) => {
        ctx.log.info({}, "hello");
        if (ctx.attempt === 1) throw new Error("first attempt fails");
      },
      { backoff: 0 },
    );
    await fill(backend, "q", 3);
    await waitFor(() => backend.acked.length === 3, "acks");
    expect(dispatcher.stats("q")[0]).toMatchObject({ succeeded: 3, failed: 3, retried: 3 });
  });

  it("validates handle() arguments", async () => {
    const { dispatcher } = await realSetup();
    running = dispatcher;
    expect(() => dispatcher.handle("", () => undefined)).toThrow(InvalidArgumentError);
    expect(() => dispatcher.handle("q", 42 as never)).toThrow(InvalidArgumentError);
    expect(() => dispatcher.handle("q", { token: "x" })).toThrow(/no `resolver`/);
    dispatcher.handle("q", () => undefined);
    expect(() => dispatcher.handle("q", () => undefined)).toThrow(/already has a handler/);
    expect(() => dispatcher.scale("missing", 2)).toThrow(NotFoundError);
    expect(() => dispatcher.pause("missing")).toThrow(NotFoundError);
  });

  it("exposes resolved options through handlers() and the registration", async () => {
    const { dispatcher } = await realSetup();
    running = dispatcher;
    const registration = dispatcher.handle("q", () => undefined, { maxParallelism: 4, backoff: 100 });
    expect(registration.options).toMatchObject({ maxParallelism: 4, backoff: { type: "fixed", baseMs: 100 } });
    dispatcher.scale("q", 6);
    expect(registration.options.maxParallelism).toBe(6);
    expect(dispatcher.handlers().map((h) => [h.queue, h.options.maxParallelism])).toEqual([["q", 6]]);
  });

  it("unregister stops one queue and frees its name", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const registration = dispatcher.handle("q", () => undefined);
    await registration.unregister();
    expect(dispatcher.handlers()).toEqual([]);
    const seen: number[] = [];
    dispatcher.handle<{ n: number }>("q", (p) => {
      seen.push(p.n);
    });
    await fill(backend, "q", 1);
    await waitFor(() => seen.length === 1, "new handler");
  });

  it("refuses new handlers and restarts after stop", async () => {
    const { dispatcher } = await realSetup();
    await dispatcher.stop();
    await dispatcher.stop(); // idempotent
    expect(() => dispatcher.handle("q", () => undefined)).toThrow(HostClosedError);
    expect(() => dispatcher.start()).toThrow(HostClosedError);
  });
});
