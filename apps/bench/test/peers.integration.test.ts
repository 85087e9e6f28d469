// Every workload, tiny, on each peer through the real stack: the @mq host on
// a temp folder, BullMQ on a redis-server this test starts (skipped with a
// message when redis-server is not installed). Asserts outcomes, never speed.
import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { createBullmqPeer } from "../src/peers/bullmq-peer";
import { createMqPeer } from "../src/peers/mq-peer";
import type { Peer } from "../src/peer";
import { redisServerVersion, startRedisServer } from "../src/redis-server";
import { runWorkload, WORKLOAD_IDS, type WorkloadSizes } from "../src/workloads";

const sizes: WorkloadSizes = { single: 50, bulk: 300, drain: 300, latency: 50, latencyRate: 1_000, capSeconds: 60 };
const hasRedis = redisServerVersion() !== undefined;
if (!hasRedis) console.warn("[bench test] redis-server not installed (apt-get install -y redis-server): BullMQ tests skip");

async function runAll(peer: Peer): Promise<void> {
  for (const id of WORKLOAD_IDS) {
    const session = await peer.openSession();
    try {
      const result = await runWorkload(id, session, sizes, () => undefined);
      if (result.kind === "throughput") {
        expect(result.messages, id).toBeGreaterThan(0);
        expect(result.perSecond, id).toBeGreaterThan(0);
      } else {
        expect(result.count, id).toBe(sizes.latency);
        expect(result.p50, id).toBeLessThanOrEqual(result.p99);
        expect(result.p99, id).toBeLessThanOrEqual(result.max);
        expect(result.startedPerSecond, id).toBeGreaterThan(0);
      }
    } finally {
      await session.close();
    }
  }
}

describe("@mq peer", () => {
  it.each(["batch", "interval"] as const)("runs every workload in %s durability", async (durability) => {
    await runAll(createMqPeer(durability));
  });
});

describe.skipIf(!hasRedis)("BullMQ peer", () => {
  const started: Peer[] = [];
  afterAll(async () => {
    for (const peer of started) await peer.dispose();
  });

  it("runs every workload on appendfsync everysec", async () => {
    const peer = await createBullmqPeer("everysec");
    started.push(peer);
    await runAll(peer);
  });

  it("starts redis-server on loopback with a private folder and stops it by PID", async () => {
    const server = await startRedisServer("always");
    expect(server.host).toBe("127.0.0.1");
    expect(existsSync(server.dataDir)).toBe(true);
    expect(() => process.kill(server.pid, 0)).not.toThrow();
    await server.stop();
    expect(() => process.kill(server.pid, 0)).toThrow();
    expect(existsSync(server.dataDir)).toBe(false);
  });
});
