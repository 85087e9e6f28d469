import { afterEach, describe, expect, it } from "vitest";
import { RateLimitedError, type QueueHost } from "../src/index";
import { memoryHost, sleep, tempDir, until } from "./support";
import { createQueueHost } from "../src/index";

interface Job {
  readonly g: string;
  readonly n: number;
}

/** A seeded PRNG, so a failing run can be repeated. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/** Enqueues `perGroup` messages into each of `groups` groups, interleaved, in small batches. */
async function fillGroups(host: QueueHost, queue: string, groups: number, perGroup: number): Promise<void> {
  for (let n = 0; n < perGroup; n++) {
    await host.enqueueBatch(Array.from({ length: groups }, (_, i) => ({ queue, payload: { g: `g${i}`, n }, group: `g${i}` })));
  }
}

describe("ordering groups on the embedded host", () => {
  let host: QueueHost | undefined;
  const dirs: { cleanup: () => void }[] = [];
  afterEach(async () => {
    await host?.stop({ drainTimeoutMs: 2_000 });
    host = undefined;
    for (const d of dirs.splice(0)) d.cleanup();
  });

  for (const groupOnFailure of ["block", "skip"] as const) {
    it(`keeps one message per group in flight under parallelism 64 with random delays and failures (${groupOnFailure})`, async () => {
      host = memoryHost({ queues: { q: { groupOnFailure, maxAttempts: 100 } } }).host;
      const random = prng(groupOnFailure === "block" ? 42 : 43);
      const inFlight = new Set<string>();
      const acked = new Map<string, number[]>();
      const starts = new Map<string, number[]>();
      const violations: string[] = [];
      let peak = 0;
      host.handle<Job>(
        "q",
        async ({ g, n }) => {
          if (inFlight.has(g)) violations.push(`two in flight in ${g} (n=${n})`);
          inFlight.add(g);
          peak = Math.max(peak, inFlight.size);
          (starts.get(g) ?? starts.set(g, []).get(g)!).push(n);
          try {
            await sleep(Math.floor(random() * 4));
            if (random() < 0.15) throw new Error(`flaky ${g}/${n}`);
          } finally {
            inFlight.delete(g);
          }
          (acked.get(g) ?? acked.set(g, []).get(g)!).push(n);
        },
        { maxParallelism: 64, backoff: { type: "fixed", baseMs: 1 }, maxRetries: 99 },
      );
      await host.start();
      await fillGroups(host, "q", 40, 25);
      await until(async () => (await host!.stats("q")).totals.acked === 1_000, 60_000, "all acked");
      expect(violations).toEqual([]);
      expect(peak).toBeGreaterThan(1); // groups did run in parallel
      for (const [g, ns] of acked) {
        if (groupOnFailure === "block") {
          // Strict order: each group's messages complete in enqueue order, and no message starts before the one ahead of it is done.
          expect(ns, g).toEqual(Array.from({ length: 25 }, (_, i) => i));
          const s = starts.get(g)!;
          for (let i = 1; i < s.length; i++) expect(s[i]! === s[i - 1]! || s[i]! === s[i - 1]! + 1, `${g} starts ${s.join(",")}`).toBe(true);
        } else {
          expect(ns.slice().sort((a, b) => a - b), g).toEqual(Array.from({ length: 25 }, (_, i) => i));
        }
      }
      expect((await host.stats("q")).groups).toEqual({ ready: 0, blocked: 0, active: 0, throttled: 0 });
    });
  }

  it("serves a hot group and 100 cold ones fairly: the cold ones finish while the hot one is barely started", async () => {
    host = memoryHost().host;
    const order: string[] = [];
    host.handle<Job>("q", async ({ g }) => {
      order.push(g);
      await sleep(0);
    }, { maxParallelism: 8 });
    await host.start();
    // One atomic batch: the hot group is first in line, then the cold ones.
    await host.enqueueBatch([
      ...Array.from({ length: 2_000 }, (_, n) => ({ queue: "q", payload: { g: "hot", n }, group: "hot" })),
      ...Array.from({ length: 100 }, (_, i) => ({ queue: "q", payload: { g: `cold-${i}`, n: 0 }, group: `cold-${i}` })),
    ]);
    await until(() => order.filter((g) => g !== "hot").length === 100, 30_000, "cold groups done");
    const lastCold = order.findLastIndex((g) => g !== "hot");
    // One hot message at a time while 100 cold groups share the other slots: they are done long before the 2,000 hot ones.
    expect(order.slice(0, lastCold + 1).filter((g) => g === "hot").length).toBeLessThan(200);
  });

  it("ctx.rateLimited holds the group back without using an attempt, and other groups keep going", async () => {
    host = memoryHost().host;
    const seen: string[] = [];
    let backedOff = false;
    host.handle<Job>("q", ({ g, n }, ctx) => {
      seen.push(`${g}${n}@${ctx.attempt}`);
      if (g === "a" && n === 0 && !backedOff) {
        backedOff = true;
        throw new RateLimitedError(150);
      }
    }, { maxParallelism: 4 });
    await host.start();
    await host.enqueueBatch([
      { queue: "q", payload: { g: "a", n: 0 }, group: "a" },
      { queue: "q", payload: { g: "a", n: 1 }, group: "a" },
      { queue: "q", payload: { g: "b", n: 0 }, group: "b" },
      { queue: "q", payload: { g: "b", n: 1 }, group: "b" },
    ]);
    await until(async () => (await host!.stats("q")).totals.acked === 4, 10_000);
    expect(seen.filter((s) => s.startsWith("a"))).toEqual(["a0@1", "a0@1", "a1@1"]);
    expect(seen.indexOf("b1@1")).toBeLessThan(seen.lastIndexOf("a0@1")); // b was not held back
    expect((await host.stats("q")).throttled?.backOff).toBe(1);
  });

  it("applies limits changed at runtime through host.configureQueue to a running handler", async () => {
    host = memoryHost({ queues: { q: { maxInFlight: 1 } } }).host;
    let running = 0;
    let peak = 0;
    host.handle("q", async () => {
      peak = Math.max(peak, ++running);
      await sleep(2);
      running--;
    }, { maxParallelism: 16 });
    await host.start();
    await host.enqueueBatch(Array.from({ length: 40 }, (_, n) => ({ queue: "q", payload: n })));
    await until(async () => (await host!.stats("q")).totals.acked >= 20, 20_000);
    expect(peak).toBe(1);
    await host.configureQueue("q", { maxInFlight: null });
    await until(async () => (await host!.stats("q")).totals.acked === 40, 20_000);
    expect((await host.stats("q")).settings?.maxInFlight).toBeNull();
  });

  it("drains through the dispatcher under queue and group rate limits without stalling (wake-ups at refill, no polling)", async () => {
    host = memoryHost({ queues: { q: { rateLimit: { max: 10, perMs: 100 }, groupRateLimit: { max: 2, perMs: 50 } } } }).host;
    let done = 0;
    host.handle("q", () => void done++, { maxParallelism: 16 });
    await host.start();
    await host.enqueueBatch(Array.from({ length: 60 }, (_, n) => ({ queue: "q", payload: n, group: `g${n % 3}` })));
    await until(() => done === 60, 30_000, "all handled");
    const s = await host.stats("q");
    expect(s.throttled!.rateLimit + s.throttled!.groupRateLimit).toBeGreaterThan(0);
  });

  it("keeps group order across restarts in the middle of a drain (file journal)", async () => {
    const data = tempDir("mq-groups-restart-");
    dirs.push(data);
    const acked = new Map<string, number[]>();
    const run = async (until_: (done: number) => boolean): Promise<void> => {
      const h = createQueueHost({ dataDir: data.dir, queues: { q: { maxAttempts: 50 } } });
      host = h;
      let done = 0;
      h.handle<Job>("q", async ({ g, n }) => {
        await sleep(0);
        (acked.get(g) ?? acked.set(g, []).get(g)!).push(n);
        done++;
      }, { maxParallelism: 16 });
      await h.start();
      if ((await h.stats("q")).totals.enqueued === 0 && acked.size === 0) await fillGroups(h, "q", 20, 30);
      await until(() => until_(done) , 30_000);
      await h.stop({ drainTimeoutMs: 0 });
      host = undefined;
    };
    await run((done) => done >= 150);
    await run((done) => done >= 150);
    await run(() => [...acked.values()].reduce((n, ns) => n + new Set(ns).size, 0) === 600);
    for (const [g, ns] of acked) {
      // At-least-once: a message in flight at a stop may run again, but never out of order.
      const firsts = ns.filter((n, i) => ns.indexOf(n) === i);
      expect(firsts, g).toEqual(Array.from({ length: 30 }, (_, i) => i));
      for (let i = 1; i < ns.length; i++) expect(ns[i]! >= ns[i - 1]!, `${g}: ${ns.join(",")}`).toBe(true);
    }
  });
});

describe("limit options", () => {
  it("validates limits given in code and at runtime, naming every bad path", async () => {
    expect(() => createQueueHost({ durability: "none", defaults: { rateLimit: { max: 0, perMs: 10 } }, queues: { q: { maxInFlight: 0, groupOnFailure: "later" as never } } })).toThrow(
      /defaults\.rateLimit\.max.*queues\.q\.maxInFlight.*queues\.q\.groupOnFailure/s,
    );
    const host = createQueueHost({ durability: "none", defaults: { groupRateLimit: { max: 3, perMs: 1_000 } }, queues: { q: { maxInFlight: 4 } } });
    await host.start();
    expect((await host.stats("q")).settings).toMatchObject({ groupRateLimit: { max: 3, perMs: 1_000 }, maxInFlight: 4, rateLimit: null, groupOnFailure: "block" });
    await expect(host.configureQueue("q", { rateLimit: { max: 1, perMs: -1 } })).rejects.toMatchObject({ code: "MQ_INVALID_OPTIONS" });
    await expect(host.enqueue("q", 1, { group: "" })).rejects.toMatchObject({ code: "MQ_INVALID_ARGUMENT" });
    await host.stop();
  });
});

describe("ordering groups in snapshots and replays", () => {
  const dirs: { cleanup: () => void }[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.cleanup();
  });

  for (const onClose of [false, true]) it(`restores group order, skip moves, pauses and replayed dead letters from ${onClose ? "a final snapshot" : "a snapshot plus the journal after it"}`, async () => {
    const data = tempDir("mq-groups-snap-");
    dirs.push(data);
    const make = (): QueueHost => createQueueHost({ dataDir: data.dir, snapshot: { everyOps: 0, everyMs: 0, onClose }, queues: { skip: { groupOnFailure: "skip" } } });
    const h1 = make();
    await h1.start();
    await h1.enqueueBatch(["a1", "a2", "a3"].map((payload) => ({ queue: "skip", payload, group: "a" })));
    const [a1] = await h1.receive("skip", { max: 10 });
    await h1.backend.nack(a1!.receipt); // a1 goes behind a3 (before the snapshot)
    await h1.enqueueBatch([{ queue: "dl", payload: "d1", group: "d" }, { queue: "dl", payload: "d2", group: "d" }]);
    const [d1] = await h1.receive("dl", { max: 10 });
    await h1.backend.nack(d1!.receipt, { deadLetter: true });
    await h1.snapshot();
    // After the snapshot: a2 fails too and goes behind a1; d1 is replayed into its group's back; a pause starts.
    const [a2] = await h1.receive("skip", { max: 10 });
    expect(a2?.message.payload).toBe("a2");
    await h1.backend.nack(a2!.receipt);
    await h1.deadLetters.replay(d1!.message.id);
    await h1.enqueue("paused", "p1", { group: "p" });
    const [p1] = await h1.receive("paused", { max: 1 });
    await h1.backend.throttle!(p1!.receipt, 600_000);
    await h1.stop();

    const h2 = make();
    await h2.start();
    const drain = async (queue: string): Promise<unknown[]> => {
      const out: unknown[] = [];
      for (;;) {
        const [d] = await h2.receive(queue, { max: 10 });
        if (d === undefined) return out;
        out.push(d.message.payload);
        await h2.ack([d.receipt]);
      }
    };
    expect(await drain("skip")).toEqual(["a3", "a1", "a2"]);
    expect(await drain("dl")).toEqual(["d2", "d1"]);
    expect(await drain("paused")).toEqual([]);
    expect((await h2.stats("paused")).groups).toMatchObject({ throttled: 1 });
    await h2.stop();
  });
});
