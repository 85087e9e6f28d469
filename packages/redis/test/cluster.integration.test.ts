import { runBackendConformance } from "@mq/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import calculateSlot from "cluster-key-slot";
import { redisBackend } from "../src/index";
import { KeySpace } from "../src/keys";
import { REDIS_SERVER, SKIP_REASON, startCluster, type RedisServer } from "./redis-server";

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
