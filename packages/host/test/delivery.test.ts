import { createManualClock, type ManualClock } from "@mq/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { MQ_ERROR_CODES, type QueueHost } from "../src/index";
import { memoryHost } from "./support";
import { hostInternals } from "../src/testing";

describe("delivery: leases, retries, delays and TTL on a manual clock", () => {
  let host: QueueHost;
  let clock: ManualClock;
  afterEach(() => host?.stop());

  const start = async (queues: Record<string, object> = {}): Promise<QueueHost> => {
    clock = createManualClock();
    host = memoryHost({ clock, queues }).host;
    await host.start();
    return host;
  };

  it("holds a delayed message until its time, then delivers it once", async () => {
    await start();
    await host.enqueue("q", "later", { delayMs: 60_000 });
    expect((await host.stats("q")).delayed).toBe(1);
    clock.advance(59_999);
    expect(await host.receive("q")).toEqual([]);
    clock.advance(1);
    const [d] = await host.receive("q");
    expect(d?.message.payload).toBe("later");
    expect(await host.receive("q")).toEqual([]);
  });

  it("delivers a 30-day delay exactly at 30 days (no timer overflow)", async () => {
    await start();
    const thirtyDays = 30 * 24 * 3600_000;
    await host.enqueue("q", "far", { delayMs: thirtyDays });
    clock.advance(1);
    expect(await host.receive("q")).toEqual([]);
    clock.advance(29 * 24 * 3600_000);
    expect(await host.receive("q")).toEqual([]);
    clock.advance(thirtyDays - 29 * 24 * 3600_000 - 1);
    expect((await host.receive("q")).map((d) => d.message.payload)).toEqual(["far"]);
  });

  it("returns a message whose lease ran out, counting the attempt, and dead-letters it on the last one", async () => {
    await start({ q: { maxAttempts: 2 } });
    const [r] = [await host.enqueue("q", "slow")];
    const [d1] = await host.receive("q", { leaseMs: 1_000 });
    clock.advance(1_000);
    const [d2] = await host.receive("q", { leaseMs: 1_000 });
    expect(d2?.attempt).toBe(2);
    await expect(host.ack(d1!.receipt)).rejects.toMatchObject({ code: MQ_ERROR_CODES.LEASE_LOST });
    clock.advance(1_000);
    await Promise.resolve();
    await Promise.resolve();
    expect(await host.receive("q")).toEqual([]);
    const letter = await host.deadLetters.get(r.id);
    expect(letter).toMatchObject({ reason: "max-retries", error: { name: "LeaseExpired" } });
    expect(letter?.attemptTimestamps).toHaveLength(2);
  });

  it("a wall-clock jump never ends a lease early", async () => {
    await start();
    await host.enqueue("q", "x");
    const [d] = await host.receive("q", { leaseMs: 10_000 });
    clock.jumpWall(3 * 3600_000);
    clock.advance(9_999);
    await host.extend(d!.receipt, 10_000);
    clock.jumpWall(-86_400_000);
    clock.advance(9_999);
    await host.ack(d!.receipt);
  });

  it("never delivers an expired message; drops it or dead-letters it as configured", async () => {
    await start({ dl: { onExpire: "dead-letter" } });
    await host.enqueue("q", "stale", { ttlMs: 1_000 });
    const [r] = [await host.enqueue("dl", "stale", { ttlMs: 1_000 })];
    clock.advance(1_000);
    expect(await host.receive("q")).toEqual([]);
    expect(await host.receive("dl")).toEqual([]);
    expect((await host.stats("q")).totals.expired).toBe(1);
    expect(await host.deadLetters.get(r.id)).toMatchObject({ reason: "expired" });
  });

  it("nack with a delay keeps the message back, then redelivers with the next attempt", async () => {
    await start();
    await host.enqueue("q", "x");
    const [d1] = await host.receive("q");
    const outcome = await host.nack(d1!.receipt, { delayMs: 5_000 });
    expect(outcome).toMatchObject({ action: "retried", attempts: 1, availableAt: clock.now() + 5_000 });
    clock.advance(4_999);
    expect(await host.receive("q")).toEqual([]);
    clock.advance(1);
    const [d2] = await host.receive("q");
    expect(d2?.attempt).toBe(2);
    expect(d2?.message.attempts).toBe(2);
  });

  it("long-poll receivers are served first come, first served", async () => {
    await start();
    const first = host.receive("q", { waitMs: 60_000 });
    const second = host.receive("q", { waitMs: 60_000 });
    await host.enqueue("q", "one");
    await host.enqueue("q", "two");
    expect((await first).map((d) => d.message.payload)).toEqual(["one"]);
    expect((await second).map((d) => d.message.payload)).toEqual(["two"]);
    const timedOut = host.receive("q", { waitMs: 1_000 });
    clock.advance(1_000);
    expect(await timedOut).toEqual([]);
    expect(hostInternals(host)!.receiveWaiters).toBe(0);
  });

  it("an aborted long poll rejects with AbortedError", async () => {
    await start();
    const controller = new AbortController();
    const waiting = host.receive("q", { waitMs: 60_000, signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: MQ_ERROR_CODES.ABORTED });
  });

  it("returns every internal structure to zero after a drain (M2)", async () => {
    await start({ q: { dedupMode: "replace" } });
    for (let i = 0; i < 200; i++) await host.enqueue("q", i, { key: `k${i % 50}`, ...(i % 7 === 0 ? { ttlMs: 60_000 } : {}) });
    for (;;) {
      const got = await host.receive("q", { max: 50 });
      if (got.length === 0) break;
      await host.ack(got.map((d) => d.receipt));
    }
    expect(hostInternals(host)!).toMatchObject({ entries: 0, leases: 0, scheduled: 0, dedupKeys: 0, receiveWaiters: 0 });
    const s = await host.stats("q");
    expect([s.ready, s.delayed, s.inFlight, s.bytes]).toEqual([0, 0, 0, 0]);
  });
});

describe("receive defaults", () => {
  it("uses the queue's defaultLeaseMs, including one changed at runtime", async () => {
    const clock = createManualClock();
    const host = memoryHost({ clock, queues: { q: { defaultLeaseMs: 5_000 } } }).host;
    await host.start();
    await host.configureQueue("q", { defaultLeaseMs: 20_000 });
    await host.enqueue("q", "x");
    const [d] = await host.receive("q");
    expect(d?.leaseExpiresAt).toBe(clock.now() + 20_000);
    await host.stop();
  });
});
