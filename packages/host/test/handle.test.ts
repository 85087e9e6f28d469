import { afterEach, describe, expect, it } from "vitest";
import type { QueueHost } from "../src/index";
import { memoryHost, sleep, until } from "./support";

describe("host.handle: the dispatcher on the embedded engine", () => {
  let host: QueueHost | undefined;
  afterEach(async () => {
    await host?.stop({ drainTimeoutMs: 1_000 });
    host = undefined;
  });

  it("runs each message through the handler once and acks it", async () => {
    host = memoryHost().host;
    const seen: number[] = [];
    host.handle<number>("q", (n) => void seen.push(n), { maxParallelism: 4 });
    await host.start();
    for (let i = 0; i < 200; i++) await host.enqueue("q", i);
    await until(async () => (await host!.stats("q")).totals.acked === 200);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("H1: a poison message is tried maxRetries + 1 times, then dead-lettered with its error and every attempt", async () => {
    host = memoryHost().host;
    const tries = new Map<number, number>();
    host.handle<number>(
      "q",
      (n) => {
        tries.set(n, (tries.get(n) ?? 0) + 1);
        if (n % 100 === 7) throw new TypeError(`poison ${n}`);
      },
      { maxParallelism: 8, maxRetries: 3, backoff: { type: "exponential", baseMs: 1, maxMs: 5, jitter: true } },
    );
    await host.start();
    const ids = new Map<number, string>();
    for (let i = 0; i < 300; i++) ids.set(i, (await host.enqueue("q", i)).id);
    await until(async () => (await host!.stats("q")).totals.acked === 297 && (await host!.deadLetters.count()) === 3, 20_000);
    for (const poison of [7, 107, 207]) {
      expect(tries.get(poison)).toBe(4);
      const letter = await host.deadLetters.get(ids.get(poison)!);
      expect(letter).toMatchObject({ reason: "max-retries", error: { name: "TypeError", message: `poison ${poison}` } });
      expect(letter?.error?.stack).toContain("TypeError");
      expect(letter?.attemptTimestamps).toHaveLength(4);
    }
    expect((await host.deadLetters.list({ limit: 100 })).items.map((l) => l.message.payload).sort()).toEqual([107, 207, 7]);
    for (const [n, count] of tries) if (n % 100 !== 7) expect(count).toBe(1);
  });

  it("H2/H3: a handler that never settles times out, frees its slot, and its late completion changes nothing", async () => {
    host = memoryHost().host;
    let lateAckError: unknown;
    host.handle<number>(
      "q",
      async (n, ctx) => {
        if (n === 0) {
          // Ignores its abort signal, then tries to act long after its lease was fenced.
          await sleep(600);
          lateAckError = await host!.ack(ctx.receipt).then(
            () => "acked late",
            (e: unknown) => e,
          );
          return;
        }
        if (n === 1) return new Promise(() => undefined); // never settles
        return undefined;
      },
      { maxParallelism: 2, timeoutMs: 150, maxRetries: 1, backoff: 1 },
    );
    await host.start();
    for (let i = 0; i < 50; i++) await host.enqueue("q", i);
    await until(async () => (await host!.stats("q")).totals.acked === 48 && (await host!.deadLetters.count()) === 2, 20_000);
    await until(() => lateAckError !== undefined, 5_000);
    expect(lateAckError).toMatchObject({ code: "MQ_LEASE_LOST" });
    const [letter] = (await host.deadLetters.list()).items;
    expect(letter?.error?.name).toBe("TimeoutError");
    expect(host.workers("q")[0]?.timedOut).toBeGreaterThanOrEqual(4);
  });

  it("chains: ctx.publish copies correlation, sets causation, carries headers, and commits with the ack", async () => {
    host = memoryHost().host;
    let attempts = 0;
    host.handle<{ id: string }>("orders", (order, ctx) => {
      ctx.publish("payments", { orderId: order.id }, { key: `PAY-${order.id}` });
      attempts++;
      if (attempts === 1) throw new Error("first attempt fails after publishing");
    }, { maxRetries: 2, backoff: 1 });
    await host.start();
    const { id } = await host.enqueue("orders", { id: "ORD-1" }, { correlationId: "corr-9", headers: { traceparent: "00-aaaa-bbbb-01" } });
    await until(async () => (await host!.stats("orders")).totals.acked === 1);
    const payments = await host.receive("payments", { max: 10 });
    expect(payments).toHaveLength(1);
    expect(payments[0]?.message).toMatchObject({ payload: { orderId: "ORD-1" }, key: "PAY-ORD-1", correlationId: "corr-9", causationId: id, headers: { traceparent: "00-aaaa-bbbb-01" } });
  });

  it("never runs more than maxParallelism at once, reaches it, and scales at runtime", async () => {
    host = memoryHost().host;
    let running = 0;
    let high = 0;
    let release: () => void = () => undefined;
    let gate = new Promise<void>((r) => (release = r));
    host.handle("q", async () => {
      running++;
      high = Math.max(high, running);
      await gate;
      running--;
    }, { maxParallelism: 3 });
    await host.start();
    for (let i = 0; i < 40; i++) await host.enqueue("q", i);
    await until(() => running === 3);
    await sleep(30);
    expect(high).toBe(3);
    host.scale("q", 6);
    await until(() => running === 6);
    expect(high).toBe(6);
    release();
    gate = new Promise<void>((r) => (release = r));
    host.scale("q", 2);
    release();
    await until(async () => (await host!.stats("q")).totals.acked === 40, 10_000);
  });

  it("graceful stop under load loses nothing: every message is acked or ready again", async () => {
    const { host: h, restart } = memoryHost();
    host = h;
    const handled = new Set<number>();
    h.handle<number>("q", async (n) => {
      await sleep(5);
      handled.add(n);
    }, { maxParallelism: 8 });
    await h.start();
    for (let i = 0; i < 300; i++) await h.enqueue("q", i);
    await sleep(50);
    await h.stop({ drainTimeoutMs: 2_000 });
    host = undefined;
    const acked = (await h.stats("q").catch(() => undefined))?.totals.acked;
    expect(acked === undefined || acked >= 0).toBe(true);
    const after = restart();
    await after.start();
    const rest: number[] = [];
    for (;;) {
      const got = await after.receive<number>("q", { max: 100 });
      if (got.length === 0) break;
      rest.push(...got.map((d) => d.message.payload));
      await after.ack(got.map((d) => d.receipt));
    }
    await after.stop();
    for (let i = 0; i < 300; i++) expect(handled.has(i) || rest.includes(i), `message ${i}`).toBe(true);
    for (const n of rest) expect(handled.has(n), `message ${n} acked and handled again`).toBe(false);
  });
});
