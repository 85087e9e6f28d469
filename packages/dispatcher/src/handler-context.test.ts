import { InvalidArgumentError } from "@mq/core";
import { afterEach, describe, expect, it } from "vitest";
import { realSetup, waitFor } from "../test/support/harness";
import type { Dispatcher, HandlerContext } from "./types";

let running: Dispatcher | undefined;
afterEach(async () => {
  await running?.stop({ drainTimeoutMs: 0 });
  running = undefined;
});

describe("chaining with ctx.publish", () => {
  it("copies the correlation id, sets the causation id and carries headers under explicit ones", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    dispatcher.handle("orders", (_p, ctx: HandlerContext) => {
      ctx.publish("payments", { step: 1 }, { key: "PAY-1", headers: { tenant: "b" } });
      ctx.publish({ topic: "audit" }, { step: 2 });
    });
    await backend.bind("audit", "audit-log");
    const [result] = await backend.enqueue([
      { queue: "orders", payload: {}, correlationId: "corr-1", headers: { traceparent: "00-abc-def-01", tenant: "a" } },
    ]);
    await waitFor(() => backend.acked.length === 1, "ack");
    const [payment] = backend.pending("payments");
    const [audit] = backend.pending("audit-log");
    expect(payment).toMatchObject({
      payload: { step: 1 },
      key: "PAY-1",
      correlationId: "corr-1",
      causationId: result!.id,
      headers: { traceparent: "00-abc-def-01", tenant: "b" },
    });
    expect(audit).toMatchObject({ payload: { step: 2 }, correlationId: "corr-1", causationId: result!.id, headers: { traceparent: "00-abc-def-01", tenant: "a" } });
  });

  it("creates one correlation id per invocation when the message has none", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    dispatcher.handle("a", (_p, ctx: HandlerContext) => {
      ctx.publish("b", 1);
      ctx.publish("b", 2);
    });
    await backend.enqueue([{ queue: "a", payload: null }]);
    await waitFor(() => backend.acked.length === 1, "ack");
    const published = backend.pending("b");
    expect(published).toHaveLength(2);
    expect(published[0]!.correlationId).toMatch(/^[0-9A-Z]{26}$/);
    expect(published[1]!.correlationId).toBe(published[0]!.correlationId);
    expect(published[0]!.headers).toBeUndefined();
  });

  it("commits publishes with the ack, and discards them when the handler fails", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const published: number[] = [];
    backend.events.on("enqueued", (e) => {
      if (e.queue === "next") published.push(backend.acked.length);
    });
    let attempt = 0;
    dispatcher.handle(
      "q",
      (_p, ctx: HandlerContext) => {
        attempt = ctx.attempt;
        ctx.publish("next", { attempt: ctx.attempt });
        if (ctx.attempt < 3) throw new Error(`fail ${ctx.attempt}`);
      },
      { backoff: 0, maxRetries: 5 },
    );
    await backend.enqueue([{ queue: "q", payload: null }]);
    await waitFor(() => backend.acked.length === 1, "ack");
    expect(attempt).toBe(3);
    expect(backend.pending("next").map((m) => m.payload)).toEqual([{ attempt: 3 }]);
    // Enqueued in the same step as the ack (the ack was already counted when the publish appeared).
    expect(published).toEqual([1]);
  });

  it("a publish the backend rejects fails the attempt and leaves nothing acked", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    dispatcher.handle(
      "q",
      (_p, ctx: HandlerContext) => {
        ctx.publish("ok", 1);
        ctx.publish("bad", () => undefined); // refused like the engine does: InvalidPayloadError
      },
      { backoff: 0, maxRetries: 1 },
    );
    const [result] = await backend.enqueue([{ queue: "q", payload: null }]);
    await waitFor(() => dispatcher.stats("q")[0]!.deadLettered === 1, "dead letter");
    expect(backend.acked).toEqual([]);
    expect(backend.pending("ok")).toEqual([]);
    expect((await backend.deadLetters.get(result!.id))?.error?.name).toBe("InvalidPayloadError");
  });

  it("rejects a bad destination at the call", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const errors: unknown[] = [];
    dispatcher.handle("q", (_p, ctx: HandlerContext) => {
      for (const bad of ["", { topic: "" }, null]) {
        try {
          ctx.publish(bad as string, 1);
        } catch (error) {
          errors.push(error);
        }
      }
    });
    await backend.enqueue([{ queue: "q", payload: null }]);
    await waitFor(() => backend.acked.length === 1, "ack");
    expect(errors).toHaveLength(3);
    for (const error of errors) expect(error).toBeInstanceOf(InvalidArgumentError);
  });

  it("rejects a non-positive extendLease", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    let rejection: unknown;
    dispatcher.handle("q", async (_p, ctx: HandlerContext) => {
      rejection = await ctx.extendLease(0).catch((e: unknown) => e);
    });
    await backend.enqueue([{ queue: "q", payload: null }]);
    await waitFor(() => backend.acked.length === 1, "ack");
    expect(rejection).toBeInstanceOf(InvalidArgumentError);
  });

  it("gives the handler a logger carrying queue, message id and attempt", async () => {
    const lines: unknown[] = [];
    const logger = {
      debug: () => undefined,
      info: (fields: object, message: string) => void lines.push({ message, ...fields }),
      warn: () => undefined,
      error: () => undefined,
    };
    const { backend, dispatcher } = await realSetup({ logger });
    running = dispatcher;
    dispatcher.handle("q", (_p, ctx: HandlerContext) => ctx.log.info({ extra: 1 }, "hello"));
    const [result] = await backend.enqueue([{ queue: "q", payload: null }]);
    await waitFor(() => lines.length === 1, "log line");
    expect(lines[0]).toEqual({ message: "hello", queue: "q", messageId: result!.id, attempt: 1, extra: 1 });
  });
});
