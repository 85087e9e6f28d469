import { UnrecoverableError } from "@mq/core";
import type { EnqueueItem, QueueBackend } from "@mq/core";
import { afterEach, describe, expect, it } from "vitest";
import { fill, flush, manualSetup } from "../test/support/harness";
import { AckBatcher } from "./ack-batcher";
import type { Dispatcher } from "./types";

let running: Dispatcher | undefined;
afterEach(async () => {
  await running?.stop({ drainTimeoutMs: 0 });
  running = undefined;
});

describe("final errors", () => {
  it("dead-letters at once on UnrecoverableError, whatever retries are left", async () => {
    const { backend, dispatcher } = await manualSetup();
    running = dispatcher;
    const events: string[] = [];
    for (const name of ["failed", "retried", "deadLettered"] as const) dispatcher.events.on(name, (e: { attempt: number }) => events.push(`${name}:${e.attempt}`));
    dispatcher.handle("q", () => {
      throw new UnrecoverableError("bad input");
    }, { maxRetries: 5, backoff: 0 });
    const [id] = await fill(backend, "q", 1);
    await flush(5);
    expect(events).toEqual(["failed:1", "deadLettered:1"]);
    expect(await backend.deadLetters.get(id!)).toMatchObject({ reason: "rejected", error: { name: "UnrecoverableError", code: "MQ_UNRECOVERABLE", message: "bad input" } });
  });

  it("ctx.deadLetter dead-letters even when the handler catches its throw and returns", async () => {
    const { backend, dispatcher } = await manualSetup();
    running = dispatcher;
    dispatcher.handle("q", (_p, ctx) => {
      try {
        ctx.deadLetter("gone for good");
      } catch (error) {
        expect(error).toBeInstanceOf(UnrecoverableError);
      }
      return "done";
    });
    const [id] = await fill(backend, "q", 1);
    await flush(5);
    expect(await backend.deadLetters.get(id!)).toMatchObject({ reason: "rejected", error: { message: "gone for good" } });
    expect(dispatcher.stats("q")[0]).toMatchObject({ succeeded: 0, deadLettered: 1 });
  });

  it("emits ctx.progress as a progress event while the handler runs", async () => {
    const { backend, dispatcher } = await manualSetup();
    running = dispatcher;
    const seen: unknown[] = [];
    dispatcher.events.on("progress", (e) => seen.push([e.attempt, e.value]));
    dispatcher.handle("q", (_p, ctx) => {
      ctx.progress(0.5);
      ctx.progress({ step: "upload" });
    });
    await fill(backend, "q", 1);
    await flush(5);
    expect(seen).toEqual([[1, 0.5], [1, { step: "upload" }]]);
  });
});

describe("results through the ack batcher", () => {
  function recording() {
    const calls: unknown[][] = [];
    const backend = {
      ack: async (...args: unknown[]) => {
        calls.push(args);
      },
    } as unknown as QueueBackend;
    return { backend, calls };
  }

  it("adds nothing to the ack when no handler returned a value", async () => {
    const { backend, calls } = recording();
    const batcher = new AckBatcher(backend);
    await Promise.all([batcher.ack("r1", undefined), batcher.ack("r2", undefined, undefined)]);
    await batcher.ack("r3", undefined);
    expect(calls).toEqual([[["r1", "r2"], []], [["r3"], undefined]]);
  });

  it("passes return values, one per receipt, in a batch and alone", async () => {
    const { backend, calls } = recording();
    const batcher = new AckBatcher(backend);
    const publish: EnqueueItem[] = [{ queue: "x", payload: 1 }];
    await Promise.all([batcher.ack("r1", publish, { ok: 1 }), batcher.ack("r2", undefined)]);
    await batcher.ack("r3", undefined, "three");
    expect(calls).toEqual([
      [["r1", "r2"], publish, { results: [{ ok: 1 }, undefined] }],
      [["r3"], undefined, { results: ["three"] }],
    ]);
  });
});
