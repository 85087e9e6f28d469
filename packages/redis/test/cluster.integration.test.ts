import { runBackendConformance } from "@mq/core/testing";
import { createDispatcher } from "@mq/dispatcher";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import calculateSlot from "cluster-key-slot";
import { redisBackend } from "../src/index";
import { KeySpace } from "../src/keys";
import { REDIS_SERVER, SKIP_REASON, startCluster, type RedisServer } from "./redis-server";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

// The conformance suite on a local three-master Redis Cluster: its queues
// ("q", "full", "next", "billing", …) land in different slots, so ack+publish,
// topic fan-out and cross-queue batches take the cross-slot paths.
if (REDIS_SERVER === undefined) {
  describe("redis cluster conformance", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let cluster: { nodes: RedisServer[]; destroy: () => Promise<void> };
  let n = 0;
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  describe("key layout", () => {
    it("puts every key of a queue in one slot, and the suite's queues in several", () => {
      const keys = new KeySpace("mq");
      const slots = ["q", "full", "next", "billing", "shipping"].map((q) => calculateSlot(keys.base(q)));
      expect(new Set(slots).size).toBeGreaterThan(1);
      expect(calculateSlot(`${keys.base("q")}:r`)).toBe(calculateSlot(`${keys.base("q")}:m:01ABC`));
      expect(calculateSlot(keys.base("a{b}c"))).toBe(calculateSlot(`${keys.base("a{b}c")}:dl`));
    });
  });

  describe("lost wake-ups", () => {
    // ioredis's Cluster subscriber moves to another node when its connection
    // drops and says nothing; wake-ups published meanwhile are gone. The
    // scheduler's sweep re-announces queues that have ready messages, so an
    // idle consumer looks again within one sweep interval.
    it("an idle dispatcher finds a message whose wake-up was lost, within a sweep", async () => {
      const ports = cluster.nodes.map((s) => s.port);
      const b = redisBackend({ connection: { cluster: ports.map((port) => ({ host: "127.0.0.1", port })) }, prefix: "lost", sweepIntervalMs: 300 });
      await b.open();
      const dispatcher = createDispatcher(b);
      const admins = ports.map((port) => new Redis({ host: "127.0.0.1", port }));
      try {
        const handled: number[] = [];
        dispatcher.handle<number>("q", (n) => void handled.push(n), { maxParallelism: 2 });
        dispatcher.start();
        await b.enqueue([{ queue: "q", payload: 1 }]);
        await until(() => handled.length === 1, 20_000);
        await sleep(200); // the dispatcher's follow-up receive came back empty: it waits for a wake-up

        for (let round = 2; round <= 3; round++) {
          const killed = await Promise.all(admins.map((a) => a.client("KILL", "TYPE", "pubsub") as Promise<number>));
          expect(killed.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
          await b.enqueue([{ queue: "q", payload: round }]);
          await until(() => handled.includes(round), 20_000);
        }
        expect(handled).toEqual([1, 2, 3]);
      } finally {
        await dispatcher.stop({ drainTimeoutMs: 1_000 });
        await b.close();
        for (const a of admins) a.disconnect();
      }
    });
  });

  runBackendConformance(
    "redis (three-master cluster)",
    async () => {
      const prefix = `c${++n}`;
      const make = async () => {
        const b = redisBackend({ connection: { cluster: cluster.nodes.map((s) => ({ host: "127.0.0.1", port: s.port })) }, prefix, sweepIntervalMs: 200 });
        await b.open();
        return b;
      };
      let current = await make();
      return {
        backend: current,
        restart: async () => {
          await current.close();
          current = await make();
          return current;
        },
      };
    },
    { leasesSurviveRestart: true },
  );
}
