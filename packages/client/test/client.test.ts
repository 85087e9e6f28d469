import { AccessDeniedError, ConnectionError, LeaseLostError, MqError, RateLimitedError } from "@mq/core";
import { createServer } from "@mq/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../src/index";
import { openClient, sleep, startServer } from "./support";

let s: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  s = await startServer({ server: { tokens: { all: { produce: ["*"], consume: ["*"], admin: true }, reader: { consume: ["*"] }, slow: { produce: ["*"] } } } });
});
afterAll(async () => {
  await s.stop();
});

describe("@mq/client", () => {
  it("has the host's shapes: enqueue, enqueueBatch, publish, receive, ack, nack, extend, release, stats, deadLetters", async () => {
    const c = await openClient(s.url, { token: "all" });
    const r = await c.enqueue("c-shapes", { n: 1 }, { priority: 3, headers: { a: "b" } });
    expect(r.status).toBe("created");
    await c.enqueueBatch([{ queue: "c-shapes", payload: { n: 2 } }, { queue: "c-shapes", payload: { bin: new Uint8Array([1, 2]) } }]);
    await c.bind("c-topic", "c-shapes");
    expect((await c.publish("c-topic", { n: 4 })).copies).toHaveLength(1);
    const got = await c.receive<{ n?: number; bin?: Uint8Array }>("c-shapes", { max: 4, leaseMs: 30_000 });
    expect(got).toHaveLength(4);
    expect(got[0]!.message.payload).toEqual({ n: 1 });
    expect([...got.find((d) => d.message.payload.bin !== undefined)!.message.payload.bin!]).toEqual([1, 2]);
    await c.ack(got[0]!.receipt);
    await c.extend(got[1]!.receipt, 60_000);
    await c.release(got[2]!.receipt);
    expect((await c.nack(got[3]!.receipt, { deadLetter: true })).action).toBe("dead-lettered");
    expect(await c.deadLetters.count({ queue: "c-shapes" })).toBe(1);
    const stats = await c.stats("c-shapes");
    expect([stats.ready, stats.inFlight, stats.deadLettered]).toEqual([1, 1, 1]);
    await c.close();
  });

  it("keeps concurrent msgpack requests and replies apart (msgpackr reuses its buffer)", async () => {
    const c = await openClient(s.url, { token: "all" });
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => c.enqueue("c-concurrent", { i, pad: "y".repeat(i * 7) })));
    expect(new Set(results.map((r) => r.id)).size).toBe(60);
    const got = await c.receive<{ i: number; pad: string }>("c-concurrent", { max: 60 });
    expect(got.map((d) => d.message.payload.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(got.every((d) => d.message.payload.pad.length === d.message.payload.i * 7)).toBe(true);
    await c.close();
  });

  it("maps server errors back to the same MqError classes, and network failures to ConnectionError", async () => {
    const c = await openClient(s.url, { token: "reader" });
    const denied = await c.enqueue("c-err", 1).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedError);
    expect((denied as AccessDeniedError).reason).toBe("forbidden");
    const stale = await c.ack("forged.receipt.x").catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(LeaseLostError);
    expect(MqError.hasCode(stale, "MQ_LEASE_LOST")).toBe(true);
    await c.close();
    const anonymous = createClient({ url: s.url });
    const unauth = await anonymous.stats("x").catch((e: unknown) => e);
    expect((unauth as AccessDeniedError).reason).toBe("unauthenticated");
    const nowhere = createClient({ url: "http://127.0.0.1:1", timeoutMs: 2_000 });
    expect(await nowhere.stats("x").catch((e: unknown) => e)).toBeInstanceOf(ConnectionError);
    await expect(nowhere.open()).rejects.toBeInstanceOf(ConnectionError);
  });

  it("maps 429 to RateLimitedError with retryAfterMs", async () => {
    const host = s.host;
    const limited = createServer(host, { port: 0, tokens: { t: { produce: ["*"] } }, rateLimitPerSecond: 2, rateLimitBurst: 2 });
    const { url } = await limited.listen();
    const c = createClient({ url, token: "t", format: "json" });
    const errors: unknown[] = [];
    for (let i = 0; i < 5; i++) await c.enqueue("c-rate", i).catch((e: unknown) => errors.push(e));
    expect(errors[0]).toBeInstanceOf(RateLimitedError);
    expect((errors[0] as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    await limited.close();
  });

  it("handle() runs the dispatcher over the network: retries a failure, then succeeds", async () => {
    const c = await openClient(s.url, { token: "all" });
    const seen: number[] = [];
    const done = new Promise<void>((resolve) => {
      c.handle<{ n: number }>(
        "c-handle",
        async (payload, ctx) => {
          seen.push(ctx.attempt);
          if (ctx.attempt === 1) throw new Error("first try fails");
          expect(payload.n).toBe(7);
          resolve();
        },
        { maxRetries: 2, backoff: { type: "fixed", baseMs: 10 } },
      );
    });
    await sleep(50);
    await c.enqueue("c-handle", { n: 7 });
    await done;
    expect(seen).toEqual([1, 2]);
    await sleep(100);
    expect((await c.stats("c-handle")).totals.acked).toBe(1);
    await c.close();
  });

  it("handle() over the network: a handler past timeoutMs is aborted and retried; heartbeats keep a long one's lease", async () => {
    const c = await openClient(s.url, { token: "all" });
    // Timeout: the first attempt never settles on its own; its signal aborts and attempt 2 runs.
    const aborted: number[] = [];
    const timedOut = new Promise<number>((resolve) => {
      c.handle(
        "c-timeout",
        async (_payload, ctx) => {
          if (ctx.attempt === 2) return resolve(ctx.attempt);
          await new Promise<void>((r) => ctx.signal.addEventListener("abort", () => (aborted.push(ctx.attempt), r())));
        },
        { timeoutMs: 300, maxRetries: 1, backoff: { type: "fixed", baseMs: 10 } },
      );
    });
    // Heartbeats: a 400 ms lease, a handler that runs 1.5 s. The dispatcher extends the lease
    // over HTTP, so nobody else is handed the message and the first attempt's ack stands.
    const starts: number[] = [];
    const long = new Promise<void>((resolve) => {
      c.handle(
        "c-heartbeat",
        async (_payload, ctx) => {
          starts.push(ctx.attempt);
          await sleep(1_500);
          resolve();
        },
        { leaseMs: 400, autoExtend: true, timeoutMs: 10_000 },
      );
    });
    await sleep(50);
    await c.enqueue("c-timeout", 1);
    await c.enqueue("c-heartbeat", 1);
    expect(await timedOut).toBe(2);
    expect(aborted).toEqual([1]);
    await long;
    await sleep(300);
    expect(starts).toEqual([1]);
    const stats = await c.stats("c-heartbeat");
    expect([stats.totals.acked, stats.ready, stats.inFlight]).toEqual([1, 0, 0]);
    await c.close();
  });

  it("subscribe() pushes over the WebSocket with credit: never more than granted in hand", async () => {
    const c = await openClient(s.url, { token: "all" });
    await c.enqueueBatch(Array.from({ length: 30 }, (_, i) => ({ queue: "c-sub", payload: i })));
    let inHand = 0;
    let maxInHand = 0;
    const got: number[] = [];
    await new Promise<void>((resolve) => {
      c.subscribe<number>(
        "c-sub",
        async (d) => {
          inHand++;
          maxInHand = Math.max(maxInHand, inHand);
          await sleep(5);
          got.push(d.message.payload);
          inHand--;
          if (got.length === 30) resolve();
        },
        { credit: 4 },
      );
    });
    expect(maxInHand).toBeLessThanOrEqual(4);
    expect(got.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await sleep(100);
    expect((await c.stats("c-sub")).totals.acked).toBe(30);
    await c.close();
  });

  it("reconnects after the server restarts and keeps handling (in-flight acks retried by the dispatcher)", async () => {
    const first = createServer(s.host, { port: 0 });
    const { port, url } = await first.listen();
    const c = await openClient(url, { reconnect: { baseMs: 50, maxMs: 200 } });
    const got: number[] = [];
    c.handle<number>("c-reconnect", async (n) => {
      got.push(n);
    });
    await c.enqueue("c-reconnect", 1);
    await waitFor(() => got.length === 1);
    await first.close();
    await sleep(200);
    // Another producer enqueues while the client's server is away.
    await s.host.enqueue("c-reconnect", 2);
    const second = createServer(s.host, { port });
    await second.listen();
    await waitFor(() => got.length === 2, 10_000);
    expect(got).toEqual([1, 2]);
    await c.close();
    await second.close();
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}
