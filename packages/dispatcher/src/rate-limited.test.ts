import { createManualClock } from "@mq/core/testing";
import { RateLimitedError } from "@mq/core";
import { afterEach, describe, expect, it } from "vitest";
import { createDispatcher } from "./dispatcher";
import { fill, flush } from "../test/support/harness";
import { MemoryBackend } from "../test/support/memory-backend";
import type { Dispatcher } from "./types";

let running: Dispatcher | undefined;
afterEach(async () => {
  await running?.stop({ drainTimeoutMs: 0 });
  running = undefined;
});

/** The test double with a `throttle` that hands the delivery back (the pause itself is the backend's job, tested in @mq/host). */
async function setup(withThrottle: boolean): Promise<{ backend: MemoryBackend; dispatcher: Dispatcher; throttled: [string, number][] }> {
  const clock = createManualClock();
  const backend = new MemoryBackend({ clock });
  const throttled: [string, number][] = [];
  if (withThrottle) {
    (backend as { throttle?: (receipt: string, ms: number) => Promise<void> }).throttle = async (receipt, ms) => {
      throttled.push([receipt, ms]);
      await backend.release([receipt]);
    };
  }
  await backend.open();
  const dispatcher = createDispatcher(backend, { clock });
  dispatcher.start();
  running = dispatcher;
  return { backend, dispatcher, throttled };
}

describe("backing off without failing", () => {
  it("ctx.rateLimited(ms) hands the message back through throttle, with no failure, retry or attempt used", async () => {
    const { backend, dispatcher, throttled } = await setup(true);
    const events: string[] = [];
    for (const name of ["failed", "retried", "rateLimited", "succeeded"] as const) dispatcher.events.on(name, (e: { attempt: number }) => events.push(`${name}:${e.attempt}`));
    let calls = 0;
    dispatcher.handle("q", (_p, ctx) => {
      if (++calls === 1) ctx.rateLimited(2_500);
      return "ok";
    });
    await fill(backend, "q", 1);
    await flush(10);
    expect(throttled.map(([, ms]) => ms)).toEqual([2_500]);
    expect(events).toEqual(["rateLimited:1", "succeeded:1"]);
    expect(dispatcher.stats("q")[0]).toMatchObject({ rateLimited: 1, failed: 0, retried: 0, succeeded: 1 });
  });

  it("a thrown RateLimitedError backs off the same way, even when ctx.rateLimited's throw is swallowed", async () => {
    const { backend, dispatcher, throttled } = await setup(true);
    let calls = 0;
    dispatcher.handle("q", (_p, ctx) => {
      calls++;
      if (calls === 1) throw new RateLimitedError(700);
      if (calls === 2) {
        try {
          ctx.rateLimited(300);
        } catch {
          // swallowed: the back-off still happens
        }
        return "swallowed";
      }
      return "ok";
    });
    await fill(backend, "q", 1);
    await flush(15);
    expect(throttled.map(([, ms]) => ms)).toEqual([700, 300]);
    expect(calls).toBe(3);
  });

  it("falls back to a delayed retry that never dead-letters on a backend without throttle", async () => {
    const { backend, dispatcher } = await setup(false);
    const retried: number[] = [];
    dispatcher.events.on("rateLimited", (e) => retried.push(e.retryAfterMs));
    dispatcher.handle("q", (_p, ctx) => ctx.rateLimited(1_000), { maxRetries: 0 });
    await fill(backend, "q", 1);
    await flush(10);
    expect(retried).toEqual([1_000]);
    const s = await backend.stats("q");
    expect([s.delayed, s.deadLettered]).toEqual([1, 0]);
  });

  it("rejects a bad back-off as an ordinary failure", async () => {
    const { backend, dispatcher } = await setup(true);
    const failures: string[] = [];
    dispatcher.events.on("failed", (e) => failures.push(e.error.code ?? e.error.name));
    dispatcher.handle("q", (_p, ctx) => ctx.rateLimited(-5), { maxRetries: 0 });
    await fill(backend, "q", 1);
    await flush(10);
    expect(failures).toEqual(["MQ_INVALID_ARGUMENT"]);
  });
});
