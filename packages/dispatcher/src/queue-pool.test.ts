import { HostClosedError, InvalidArgumentError } from "@mq/core";
import type { Delivery, ReceiveOptions } from "@mq/core";
import { afterEach, describe, expect, it } from "vitest";
import { advance, deferred, fill, flush, manualSetup, realSetup, waitFor } from "../test/support/harness";
import type { Dispatcher, HandlerContext } from "./types";

let running: Dispatcher | undefined;
afterEach(async () => {
  await running?.stop({ drainTimeoutMs: 0 });
  running = undefined;
});

/** A handler that tracks concurrency and finishes when told to (or after a macrotask). */
function concurrencyProbe() {
  const probe = {
    current: 0,
    highWater: 0,
    done: 0,
    gates: [] as (() => void)[],
    handler: async () => {
      probe.current++;
      probe.highWater = Math.max(probe.highWater, probe.current);
      await new Promise<void>((resolve) => probe.gates.push(resolve));
      probe.current--;
      probe.done++;
    },
    releaseAll: () => {
      const gates = probe.gates;
      probe.gates = [];
      for (const open of gates) open();
    },
  };
  return probe;
}

describe("worker pool", () => {
  it("never exceeds maxParallelism and reaches it", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const probe = concurrencyProbe();
    dispatcher.handle("q", probe.handler, { maxParallelism: 8, prefetch: 4 });
    await fill(backend, "q", 200);
    while (probe.done < 200) {
      await waitFor(() => probe.gates.length > 0 || probe.done === 200, "a running handler");
      expect(probe.current).toBeLessThanOrEqual(8);
      // Let the pool fill up before releasing, so the high-water mark is meaningful.
      await flush();
      probe.releaseAll();
      await flush();
    }
    await waitFor(() => backend.acked.length === 200, "all acked");
    expect(probe.highWater).toBe(8);
    expect(new Set(backend.acked).size).toBe(200);
  });

  it("receives in batches of free slots plus prefetch", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const probe = concurrencyProbe();
    await fill(backend, "q", 20);
    dispatcher.handle("q", probe.handler, { maxParallelism: 4, prefetch: 3 });
    await waitFor(() => probe.current === 4, "4 running");
    await flush();
    expect(backend.receiveMax[0]).toBe(7);
    expect(dispatcher.stats("q")[0]).toMatchObject({ running: 4, buffered: 3 });
    // Busy and full: no further receive until a slot frees.
    expect(backend.receiveMax).toHaveLength(1);
    probe.releaseAll();
    await waitFor(() => probe.current === 4 && backend.receiveMax.length >= 2, "refill");
    probe.releaseAll();
    while (probe.done < 20) {
      await flush();
      probe.releaseAll();
    }
  });

  it("scales up and down at runtime; scaling down lets running handlers finish", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const probe = concurrencyProbe();
    dispatcher.handle("q", probe.handler, { maxParallelism: 2, minParallelism: 1, prefetch: 0 });
    await fill(backend, "q", 30);
    await waitFor(() => probe.current === 2, "2 running");
    dispatcher.scale("q", 6);
    await waitFor(() => probe.current === 6, "6 running after scale up");
    expect(dispatcher.stats("q")[0]).toMatchObject({ parallelism: 6, running: 6 });

    dispatcher.scale("q", 1);
    await flush();
    expect(probe.current).toBe(6); // nothing is aborted
    probe.releaseAll();
    await waitFor(() => probe.current === 1, "1 running after scale down");
    probe.highWater = 0;
    while (probe.done < 30) {
      await flush();
      expect(probe.current).toBeLessThanOrEqual(1);
      probe.releaseAll();
    }
    expect(probe.highWater).toBe(1);
    expect(() => dispatcher.scale("q", 0)).toThrow(InvalidArgumentError);
    expect(() => dispatcher.scale("q", 1.5)).toThrow(InvalidArgumentError);
  });

  it("frees a worker when its handler settles; slow acks are bounded by maxPendingAcks", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const original = backend.ack.bind(backend);
    const gate = deferred();
    backend.ack = async (receipts, publish) => {
      await gate.promise; // a durable ack that takes its time
      return original(receipts, publish);
    };
    let handled = 0;
    dispatcher.handle("q", () => void handled++, { maxParallelism: 1, maxPendingAcks: 5, prefetch: 2 });
    await fill(backend, "q", 20);
    await waitFor(() => handled === 5, "5 handled ahead of their acks");
    await flush(5);
    expect(handled).toBe(5);
    expect(dispatcher.stats("q")[0]).toMatchObject({ running: 0, settling: 5, succeeded: 0 });
    gate.resolve();
    await waitFor(() => backend.acked.length === 20, "all acked");
    expect(dispatcher.stats("q")[0]).toMatchObject({ running: 0, settling: 0, succeeded: 20 });
  });

  it("pauses and resumes one queue", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const seen: string[] = [];
    dispatcher.handle<{ n: number }>("a", (p) => void seen.push(`a${p.n}`));
    dispatcher.handle<{ n: number }>("b", (p) => void seen.push(`b${p.n}`));
    dispatcher.pause("a");
    await fill(backend, "a", 3);
    await fill(backend, "b", 3);
    await waitFor(() => seen.length === 3, "b done");
    await flush(5);
    expect(seen).toEqual(["b0", "b1", "b2"]);
    expect(dispatcher.stats("a")[0]).toMatchObject({ paused: true, running: 0 });
    dispatcher.resume("a");
    await waitFor(() => seen.length === 6, "a done");
    expect(seen.slice(3)).toEqual(["a0", "a1", "a2"]);
  });

  it("pausing hands leased-ahead deliveries back", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const probe = concurrencyProbe();
    dispatcher.handle("q", probe.handler, { maxParallelism: 1, prefetch: 5 });
    await fill(backend, "q", 10);
    await waitFor(() => dispatcher.stats("q")[0]!.buffered === 5, "buffer filled");
    dispatcher.pause("q");
    expect(dispatcher.stats("q")[0]).toMatchObject({ buffered: 0, released: 5, running: 1 });
    await flush();
    const stats = await backend.stats("q");
    expect(stats).toMatchObject({ ready: 9, inFlight: 1 });
    probe.releaseAll();
    await waitFor(() => backend.acked.length === 1, "running one acked");
  });

  it("wakes on ready events, not a timer: an idle queue makes no receive calls", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    dispatcher.handle("q", () => undefined);
    await flush();
    const calls = backend.receiveMax.length;
    await advance(clock, 60_000, 1_000);
    expect(backend.receiveMax.length).toBe(calls);
    expect(clock.pendingTimers).toBe(0);
    await fill(backend, "q", 1);
    await flush();
    expect(backend.acked).toHaveLength(1);
  });

  it("does not lose a ready event that arrives while a receive is in flight", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const original = backend.receive.bind(backend);
    const gate = deferred();
    let intercepted = false;
    backend.receive = async (queue: string, options: ReceiveOptions): Promise<Delivery[]> => {
      const result = await original(queue, options); // empty at this point
      if (!intercepted) {
        intercepted = true;
        await gate.promise; // the message arrives (and `ready` fires) before this returns
      }
      return result;
    };
    const seen: number[] = [];
    dispatcher.handle<{ n: number }>("q", (p) => void seen.push(p.n));
    await waitFor(() => intercepted, "first receive");
    await fill(backend, "q", 1);
    gate.resolve();
    await waitFor(() => seen.length === 1, "message handled");
  });

  it("keeps receiving when the backend caps a batch below the requested max", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const original = backend.receive.bind(backend);
    backend.receive = (queue: string, options: ReceiveOptions) => original(queue, { ...options, max: Math.min(options.max, 2) });
    await fill(backend, "q", 25); // all ready before the handler exists: no further ready events
    dispatcher.handle("q", () => undefined, { maxParallelism: 8 });
    await waitFor(() => backend.acked.length === 25, "all acked");
  });

  it("backs off after receive errors instead of spinning, then recovers", async () => {
    const { clock, backend, dispatcher } = await manualSetup();
    running = dispatcher;
    const errors: string[] = [];
    dispatcher.events.on("error", (e) => errors.push(`${e.operation}:${e.error.code}`));
    backend.failReceives = { count: 3, error: new HostClosedError("memory-backend", "closed") };
    dispatcher.handle("q", () => undefined);
    await fill(backend, "q", 1);
    await flush();
    expect(backend.receiveMax).toHaveLength(1);
    await advance(clock, 99, 1);
    expect(backend.receiveMax).toHaveLength(1); // first retry after 100 ms
    await advance(clock, 1);
    expect(backend.receiveMax).toHaveLength(2);
    await advance(clock, 199, 1);
    expect(backend.receiveMax).toHaveLength(2); // then 200 ms
    await advance(clock, 1 + 400, 1);
    expect(backend.receiveMax.length).toBeGreaterThanOrEqual(4);
    expect(backend.acked).toHaveLength(1);
    expect(errors).toEqual(["receive:MQ_HOST_CLOSED", "receive:MQ_HOST_CLOSED", "receive:MQ_HOST_CLOSED"]);
  });

  it("hands prefetched deliveries back with release(): 20 pause/resume cycles burn no attempt and count no retry", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const nacked: unknown[] = [];
    backend.events.on("nacked", (e) => nacked.push(e));
    const probe = concurrencyProbe();
    dispatcher.handle("q", probe.handler, { maxParallelism: 1, prefetch: 4 });
    await fill(backend, "q", 6);
    for (let cycle = 0; cycle < 20; cycle++) {
      await waitFor(() => dispatcher.stats("q")[0]!.buffered === 4, "buffer filled");
      dispatcher.pause("q");
      await flush();
      dispatcher.resume("q");
    }
    await waitFor(() => dispatcher.stats("q")[0]!.buffered === 4, "buffer filled");
    const totals = (await backend.stats("q")).totals;
    expect(totals.retried).toBe(0);
    expect(nacked).toEqual([]);
    expect(dispatcher.stats("q")[0]).toMatchObject({ released: 80, retried: 0, failed: 0 });
    const attempts: number[] = [];
    dispatcher.pause("q");
    probe.releaseAll();
    await waitFor(() => backend.acked.length === 1, "running one acked");
    for (const d of await backend.receive("q", { max: 10, leaseMs: 1_000 })) attempts.push(d.attempt);
    expect(attempts).toEqual([1, 1, 1, 1, 1]);
  });

  it("scaling down hands back what the smaller pool cannot use, without using attempts", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    const probe = concurrencyProbe();
    const attempts: number[] = [];
    dispatcher.handle("q", (_p, ctx: HandlerContext) => (attempts.push(ctx.attempt), probe.handler()), { maxParallelism: 4, minParallelism: 0, prefetch: 8 });
    await fill(backend, "q", 40);
    await waitFor(() => probe.current === 4 && dispatcher.stats("q")[0]!.buffered === 8, "full pool");
    dispatcher.scale("q", 0);
    expect(dispatcher.stats("q")[0]).toMatchObject({ buffered: 0, released: 8, running: 4 });
    probe.releaseAll();
    await waitFor(() => backend.acked.length === 4, "running ones acked");
    dispatcher.scale("q", 4);
    while (backend.acked.length < 40) {
      await flush();
      probe.releaseAll();
    }
    expect(attempts.every((a) => a === 1)).toBe(true);
    expect((await backend.stats("q")).totals.retried).toBe(0);
  });

  it("adapts the prefetch to keep the slots fed, within its ceiling", async () => {
    const { backend, dispatcher } = await realSetup();
    running = dispatcher;
    // A receive that takes a while, like a group commit on a disk.
    const original = backend.receive.bind(backend);
    backend.receive = async (queue: string, options: ReceiveOptions): Promise<Delivery[]> => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return original(queue, options);
    };
    await fill(backend, "q", 3_000);
    dispatcher.handle("q", () => undefined, { maxParallelism: 2 });
    await waitFor(() => backend.acked.length === 3_000, "all acked", 20_000);
    const depths = dispatcher.stats("q")[0]!.prefetch;
    expect(depths.mode).toBe("auto");
    expect(Math.max(...backend.receiveMax)).toBeGreaterThan(8 + 2);
    expect(Math.max(...backend.receiveMax)).toBeLessThanOrEqual(64 + 2);
  });
});
