import { afterEach, describe, expect, it } from "vitest";
import { fill, realSetup, waitFor } from "../test/support/harness";
import type { Dispatcher, HandlerContext } from "./types";

let running: Dispatcher | undefined;
afterEach(async () => {
  await running?.stop({ drainTimeoutMs: 0 });
  running = undefined;
});

describe("dispatcher.use(middleware)", () => {
  it("wraps every invocation in order, may replace ctx, and can be removed", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const trail: string[] = [];
    const removeOuter = dispatcher.use(async (ctx, next) => {
      trail.push(`outer:${String(ctx.message.payload && (ctx.message.payload as { n: number }).n)}`);
      const result = await next();
      trail.push("outer:done");
      return result;
    });
    dispatcher.use((ctx, next) => {
      const wrapped = Object.assign(Object.create(null) as object, { attempt: ctx.attempt, message: ctx.message, tagged: true }) as unknown as HandlerContext<unknown>;
      return next(wrapped);
    });
    const seen: unknown[] = [];
    dispatcher.handle("q", (_payload, ctx) => void seen.push((ctx as unknown as { tagged?: boolean }).tagged));
    await fill(backend, "q", 1);
    await waitFor(() => backend.acked.length === 1, "first ack");
    expect(trail).toEqual(["outer:0", "outer:done"]);
    expect(seen).toEqual([true]);
    removeOuter();
    await fill(backend, "q", 1);
    await waitFor(() => backend.acked.length === 2, "second ack");
    expect(trail).toHaveLength(2);
  });

  it("a middleware that throws fails the attempt like the handler would", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    dispatcher.use(() => {
      throw new Error("middleware broke");
    });
    const failed: string[] = [];
    dispatcher.events.on("failed", (e) => failed.push(e.error.message));
    dispatcher.handle("q", () => undefined, { maxRetries: 0 });
    await fill(backend, "q", 1);
    await waitFor(() => failed.length === 1, "failure");
    expect(failed).toEqual(["middleware broke"]);
  });

  it("rejects a non-function", async () => {
    const { dispatcher } = await realSetup();
    running = dispatcher;
    expect(() => dispatcher.use(42 as never)).toThrow(/middleware/);
  });
});
