// Z4: random sequences of host API calls, clock moves, restarts, crashes and
// power losses, checked step by step against a small reference model.
import { createManualClock, type ManualClock } from "@mq/core/testing";
import { createFilePersistence } from "@mq/journal";
import { createFaultFs, type FaultFs } from "@mq/journal/testing";
import { createMemoryPersistence, createMemoryStore, type MemoryStore } from "@mq/journal/memory";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createQueueHost, MqError, type Delivery, type QueueHost } from "../src/index";

const MAX_ATTEMPTS = 3;
const runs = process.env.MQ_LONG === "1" ? 5_000 : 500;

interface ModelMessage {
  readonly id: string;
  readonly prio: number;
  readonly enqSeq: number;
  key: string | undefined;
  version: number;
  payload: number;
  state: "ready" | "delayed" | "in-flight" | "acked" | "dead";
  availableAt: number;
  attempts: number;
  delivered: boolean;
  /** Held back by a delay at enqueue: it joins the back of its lane when due, so FIFO by enqueue order does not apply. */
  readonly wasDelayed: boolean;
}

interface Model {
  readonly messages: Map<string, ModelMessage>;
  readonly keys: Map<string, string>;
  held: { receipt: string; id: string; attempt: number }[];
  enqSeq: number;
  payload: number;
}

interface Real {
  host: QueueHost;
  readonly clock: ManualClock;
  readonly reopen: (kind: "restart" | "crash") => Promise<void>;
}

const live = (m: Model): ModelMessage[] => [...m.messages.values()];
const count = (m: Model, state: ModelMessage["state"]): number => live(m).filter((x) => x.state === state).length;

/** Messages whose delay has passed become ready, as the engine's timer would make them. */
function releaseDue(m: Model, now: number): void {
  for (const x of live(m)) if (x.state === "delayed" && x.availableAt <= now) x.state = "ready";
}

async function checkStats(m: Model, r: Real): Promise<void> {
  const s = await r.host.stats("q");
  expect({ ready: s.ready, delayed: s.delayed, inFlight: s.inFlight }).toEqual({ ready: count(m, "ready"), delayed: count(m, "delayed"), inFlight: count(m, "in-flight") });
  expect(await r.host.deadLetters.count()).toBe(count(m, "dead"));
}

class Enqueue implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly prio: number,
    readonly key: string | undefined,
    readonly delayMs: number,
  ) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const payload = ++m.payload;
    const result = await r.host.enqueue("q", payload, { priority: this.prio, ...(this.key === undefined ? {} : { key: this.key }), ...(this.delayMs > 0 ? { delayMs: this.delayMs } : {}) });
    const existing = this.key === undefined ? undefined : m.messages.get(m.keys.get(this.key) ?? "");
    if (existing !== undefined && (existing.state === "ready" || existing.state === "delayed")) {
      expect(result).toMatchObject({ id: existing.id, status: "replaced", version: existing.version + 1 });
      existing.version++;
      existing.payload = payload;
    } else {
      const version = existing === undefined ? 1 : existing.version + 1;
      expect(result).toMatchObject({ status: "created", version });
      const now = r.clock.now();
      m.messages.set(result.id, { id: result.id, prio: this.prio, enqSeq: ++m.enqSeq, key: this.key, version, payload, state: this.delayMs > 0 ? "delayed" : "ready", availableAt: now + this.delayMs, attempts: 0, delivered: false, wasDelayed: this.delayMs > 0 });
      if (this.key !== undefined) m.keys.set(this.key, result.id);
    }
    await checkStats(m, r);
  }
  toString = (): string => `enqueue(p${this.prio}${this.key ? ` ${this.key}` : ""}${this.delayMs ? ` +${this.delayMs}ms` : ""})`;
}

class Receive implements fc.AsyncCommand<Model, Real> {
  constructor(readonly max: number) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const got: Delivery[] = await r.host.receive("q", { max: this.max, leaseMs: 3_600_000 });
    expect(got.length).toBe(Math.min(this.max, count(m, "ready")));
    for (const d of got) {
      const x = m.messages.get(d.message.id);
      expect(x?.state, `delivered ${d.message.id} is not ready in the model`).toBe("ready");
      const ready = live(m).filter((y) => y.state === "ready");
      expect(x!.prio).toBe(Math.max(...ready.map((y) => y.prio)));
      if (!x!.delivered && !x!.wasDelayed) {
        const earlier = ready.filter((y) => !y.delivered && !y.wasDelayed && y.prio === x!.prio && y.enqSeq < x!.enqSeq);
        expect(earlier, "a fresh message overtook an older one of the same priority").toEqual([]);
      }
      expect(d.message).toMatchObject({ payload: x!.payload, version: x!.version });
      expect(d.attempt).toBe(x!.attempts + 1);
      x!.attempts++;
      x!.state = "in-flight";
      x!.delivered = true;
      m.held.push({ receipt: d.receipt, id: x!.id, attempt: d.attempt });
    }
    await checkStats(m, r);
  }
  toString = (): string => `receive(${this.max})`;
}

class Settle implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly how: "ack" | "nack",
  ) {}
  check = (m: Readonly<Model>): boolean => m.held.length > 0;
  async run(m: Model, r: Real): Promise<void> {
    const [held] = m.held.splice(this.pick % m.held.length, 1);
    const x = m.messages.get(held!.id)!;
    const current = x.state === "in-flight" && x.attempts === held!.attempt;
    const outcome = await (this.how === "ack" ? r.host.ack(held!.receipt) : r.host.nack(held!.receipt)).then(
      (v) => v ?? "ok",
      (e: unknown) => e,
    );
    if (!current) {
      expect(MqError.isInstance(outcome) && outcome.code).toBe("MQ_LEASE_LOST");
      return;
    }
    if (this.how === "ack") {
      expect(outcome).toBe("ok");
      x.state = "acked";
      if (x.key !== undefined && m.keys.get(x.key) === x.id) m.keys.delete(x.key);
    } else if (x.attempts >= MAX_ATTEMPTS) {
      expect(outcome).toMatchObject({ action: "dead-lettered" });
      x.state = "dead";
      if (x.key !== undefined && m.keys.get(x.key) === x.id) m.keys.delete(x.key);
    } else {
      expect(outcome).toMatchObject({ action: "retried" });
      x.state = "ready";
    }
    await checkStats(m, r);
  }
  toString = (): string => `${this.how}(#${this.pick})`;
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    r.clock.advance(this.ms);
    releaseDue(m, r.clock.now());
    await checkStats(m, r);
  }
  toString = (): string => `advance(${this.ms})`;
}

class Reopen implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: "restart" | "crash") {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.reopen(this.kind);
    // Every lease of the previous life is void: in-flight messages are ready again,
    // except those whose attempts are used up, which are dead-lettered.
    for (const x of live(m)) {
      if (x.state !== "in-flight") continue;
      x.state = x.attempts >= MAX_ATTEMPTS ? "dead" : "ready";
      if (x.state === "dead" && x.key !== undefined && m.keys.get(x.key) === x.id) m.keys.delete(x.key);
    }
    releaseDue(m, r.clock.now());
    await checkStats(m, r);
  }
  toString = (): string => this.kind;
}

const commands = [
  fc.tuple(fc.integer({ min: 0, max: 9 }), fc.option(fc.constantFrom("k1", "k2", "k3"), { nil: undefined }), fc.constantFrom(0, 0, 0, 50, 200)).map(([p, k, d]) => new Enqueue(p, k, d)),
  fc.integer({ min: 1, max: 4 }).map((n) => new Receive(n)),
  fc.tuple(fc.nat(), fc.constantFrom<"ack" | "nack">("ack", "ack", "nack")).map(([i, how]) => new Settle(i, how)),
  fc.constantFrom(10, 60, 250).map((ms) => new Advance(ms)),
  fc.constantFrom<"restart" | "crash">("restart", "crash").map((k) => new Reopen(k)),
];

function emptyModel(): Model {
  return { messages: new Map(), keys: new Map(), held: [], enqSeq: 0, payload: 0 };
}

async function run(make: (clock: ManualClock) => { host: () => QueueHost; crash: () => void }): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 100 }), async (cmds) => {
      const clock = createManualClock();
      const factory = make(clock);
      const real: Real = {
        host: factory.host(),
        clock,
        reopen: async (kind) => {
          if (kind === "restart") await real.host.stop();
          else factory.crash();
          real.host = factory.host();
          await real.host.start();
        },
      };
      await real.host.start();
      try {
        await fc.asyncModelRun(() => ({ model: emptyModel(), real }), cmds);
      } finally {
        await real.host.stop().catch(() => undefined);
      }
    }),
    { numRuns: runs },
  );
}

const settings = { queues: { q: { maxAttempts: MAX_ATTEMPTS } } };

describe("Z4: the host against a reference model", () => {
  it("on the memory journal, with clean restarts and crashes", async () => {
    await run((clock) => {
      const store: MemoryStore = createMemoryStore();
      return {
        host: () => createQueueHost({ ...settings, clock, persistence: createMemoryPersistence({ store }) }),
        crash: () => store.crash(),
      };
    });
  }, 300_000);

  it("on the file journal over a fault-injecting file system, with power losses", async () => {
    await run((clock) => {
      const fs: FaultFs = createFaultFs();
      return {
        host: () => createQueueHost({ ...settings, clock, persistence: createFilePersistence({ dataDir: "/data", fs, clock, segmentBytes: 16 * 1024, snapshotEveryOps: 25, snapshotEveryMs: 0 }) }),
        crash: () => {
          fs.powerLoss({ trash: "mixed" });
          fs.restart();
        },
      };
    });
  }, 300_000);
});
