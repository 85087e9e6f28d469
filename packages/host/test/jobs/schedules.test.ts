import { createManualClock, type ManualClock } from "@mq/core/testing";
import { createMemoryPersistence, createMemoryStore, type MemoryStore } from "@mq/journal/memory";
import { afterEach, describe, expect, it } from "vitest";
import { createQueueHost, MQ_ERROR_CODES } from "../../src/index";
import type { QueueHost } from "../../src/queue-host";

const hosts: QueueHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop().catch(() => undefined);
});

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

async function open(store: MemoryStore, clock: ManualClock, journal = createMemoryPersistence({ store })): Promise<QueueHost> {
  const host = createQueueHost({ persistence: journal, clock });
  hosts.push(host);
  await host.start();
  return host;
}

/** Advances the clock in steps (as real time would pass), letting each fire commit. */
async function pass(clock: ManualClock, ms: number, stepMs = 60_000): Promise<void> {
  for (let left = ms; left > 0; left -= stepMs) {
    clock.advance(Math.min(stepMs, left));
    await settle();
  }
}

async function fireTimes(host: QueueHost, queue = "q"): Promise<number[]> {
  const got = await host.receive(queue, { max: 10_000, leaseMs: 60_000 });
  return got.map((d) => Number(d.message.headers?.["mq-fire-at"])).sort((a, b) => a - b);
}

const HOUR = 3_600_000;
const MIN = 60_000;

describe("schedules", () => {
  it("fires a cron in a named time zone at local time across a DST change (Europe/Berlin, 29 March 2026)", async () => {
    const clock = createManualClock(Date.UTC(2026, 2, 27, 12));
    const host = await open(createMemoryStore(), clock);
    const info = await host.schedule("daily", { cron: "0 9 * * *", tz: "Europe/Berlin", queue: "q", payload: { report: "daily" } });
    // 09:00 CET is 08:00 UTC before the change, 09:00 CEST is 07:00 UTC after it.
    expect(info.nextFireAt).toBe(Date.UTC(2026, 2, 28, 8));
    await pass(clock, 4 * 24 * HOUR, 7 * MIN);
    expect(await fireTimes(host)).toEqual([Date.UTC(2026, 2, 28, 8), Date.UTC(2026, 2, 29, 7), Date.UTC(2026, 2, 30, 7), Date.UTC(2026, 2, 31, 7)]);
    expect((await host.schedules())[0]).toMatchObject({ name: "daily", nextFireAt: Date.UTC(2026, 3, 1, 7), lastFireAt: Date.UTC(2026, 2, 31, 7) });
  });

  it("never drifts: fire times stay on the interval's grid however late the timer runs", async () => {
    const clock = createManualClock(1_800_000_000_000);
    const t0 = clock.now();
    const host = await open(createMemoryStore(), clock);
    await host.schedule("tick", { everyMs: 10 * MIN, queue: "q", payload: "tick" });
    // Steps of 7 minutes: each fire runs up to 7 minutes late.
    await pass(clock, 60 * MIN, 7 * MIN);
    expect(await fireTimes(host)).toEqual([1, 2, 3, 4, 5, 6].map((n) => t0 + n * 10 * MIN));
  });

  it("fires once when the process crashes exactly at a fire time, before or after the fire reached the journal", async () => {
    const clock = createManualClock(1_800_000_000_000);
    const t0 = clock.now();
    const store = createMemoryStore();
    const host = await open(store, clock);
    await host.schedule("s", { everyMs: MIN, queue: "q", payload: 1 });
    // Crash in the same tick as the fire (its frame may or may not be durable).
    clock.advance(MIN);
    store.crash();
    hosts.pop();
    const second = await open(store, clock);
    await settle();
    // Crash again right after the fire committed.
    store.crash();
    hosts.pop();
    const third = await open(store, clock);
    await settle();
    expect(await fireTimes(third)).toEqual([t0 + MIN]);
    expect((await third.schedules())[0]!.nextFireAt).toBe(t0 + 2 * MIN);
    await pass(clock, MIN);
    const [d] = await third.receive("q", { leaseMs: 1_000 });
    expect(Number(d!.message.headers!["mq-fire-at"])).toBe(t0 + 2 * MIN);
    void second;
  });

  it("catches up missed fires as configured: all, latest, none", async () => {
    const clock = createManualClock(1_800_000_000_000);
    const t0 = clock.now();
    const store = createMemoryStore();
    const host = await open(store, clock);
    await host.schedule("all", { everyMs: 10 * MIN, queue: "all", payload: 1, catchUp: "all" });
    await host.schedule("latest", { everyMs: 10 * MIN, queue: "latest", payload: 1 });
    await host.schedule("none", { everyMs: 10 * MIN, queue: "none", payload: 1, catchUp: "none" });
    await host.stop();
    hosts.pop();
    clock.advance(55 * MIN); // down for five fire times
    const again = await open(store, clock);
    // The engine's due timers run on the manual clock: let the zero-delay one fire.
    clock.advance(0);
    await settle();
    expect(await fireTimes(again, "all")).toEqual([1, 2, 3, 4, 5].map((n) => t0 + n * 10 * MIN));
    expect(await fireTimes(again, "latest")).toEqual([t0 + 50 * MIN]);
    expect(await fireTimes(again, "none")).toEqual([]);
    // The next fire stays on the grid after a catch-up.
    for (const s of await again.schedules()) expect(s.nextFireAt).toBe(t0 + 60 * MIN);
    await pass(clock, 5 * MIN);
    expect(await fireTimes(again, "none")).toEqual([t0 + 60 * MIN]);
  });

  it("keeps schedules across a snapshot and a crash; replaces by name; unschedules durably", async () => {
    const clock = createManualClock(1_800_000_000_000);
    const store = createMemoryStore();
    const journal = createMemoryPersistence({ store });
    const host = await open(store, clock, journal);
    await host.schedule("a", { everyMs: HOUR, queue: "q", payload: "a", options: { priority: 5, headers: { team: "ops" } } });
    await host.schedule("b", { cron: "*/15 * * * *", queue: "q", payload: "b" });
    await host.schedule("c", { everyMs: HOUR, queue: "q", payload: "c" });
    await journal.snapshot();
    await host.schedule("a", { everyMs: 2 * HOUR, queue: "q", payload: "a2" });
    expect(await host.unschedule("c")).toBe(true);
    expect(await host.unschedule("c")).toBe(false);
    store.crash();
    hosts.pop();
    const again = await open(store, clock);
    const list = await again.schedules();
    expect(list.map((s) => [s.name, s.payload, s.everyMs ?? s.cron])).toEqual([
      ["a", "a2", 2 * HOUR],
      ["b", "b", "*/15 * * * *"],
    ]);
    await pass(clock, 2 * HOUR, 15 * MIN);
    const got = await again.receive("q", { max: 100 });
    expect(got.filter((d) => d.message.payload === "a2")).toHaveLength(1);
    // The schedule was made on a quarter hour, which counts as its first fire: 0, 15, …, 120 minutes.
    expect(got.filter((d) => d.message.payload === "b")).toHaveLength(9);
  });

  it("fires with its enqueue options and survives a full queue by skipping that fire", async () => {
    const clock = createManualClock(1_800_000_000_000);
    const host = createQueueHost({ persistence: createMemoryPersistence({ store: createMemoryStore() }), clock, queues: { small: { capacity: 1 } } });
    hosts.push(host);
    await host.start();
    await host.schedule("s", { everyMs: MIN, queue: "small", payload: "x", options: { priority: 7, headers: { team: "ops" } } });
    await pass(clock, 3 * MIN);
    const [d] = await host.receive("small", { max: 10 });
    expect(d!.message).toMatchObject({ priority: 7, headers: { team: "ops", "mq-schedule": "s" } });
    expect((await host.schedules())[0]!.lastFireAt).toBe(clock.now());
  });

  it("rejects bad specs with what to give", async () => {
    const clock = createManualClock();
    const host = await open(createMemoryStore(), clock);
    const bad = [
      { queue: "q", payload: 1 },
      { cron: "* * * * *", everyMs: 5, queue: "q", payload: 1 },
      { cron: "not a cron", queue: "q", payload: 1 },
      { cron: "* * * * *", tz: "Mars/Olympus", queue: "q", payload: 1 },
      { everyMs: 0, queue: "q", payload: 1 },
      { everyMs: 10, queue: "q", payload: 1, catchUp: "some" },
      { everyMs: 10, queue: "q", payload: 1, options: { delayMs: -1 } },
      { everyMs: 10, queue: "q", payload: 1, extra: true },
    ];
    for (const spec of bad) await expect(host.schedule("x", spec as never), JSON.stringify(spec)).rejects.toMatchObject({ code: MQ_ERROR_CODES.INVALID_ARGUMENT });
    expect(await host.schedules()).toEqual([]);
  });
});
