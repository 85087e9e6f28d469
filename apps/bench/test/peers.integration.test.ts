// Every workload, tiny, on each peer through the real stack: the @mq host on
// a temp folder, BullMQ and @mq/redis on one redis-server this test starts,
// including the drain with 3 consumer processes (skipped with a message when
// redis-server is not installed). Asserts outcomes, never speed.
import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { createBullmqPeer } from "../src/peers/bullmq-peer";
import { createMqPeer } from "../src/peers/mq-peer";
import { createMqRedisPeer } from "../src/peers/mq-redis-peer";
import type { Peer } from "../src/peer";
import { redisServerVersion, startRedisServer, type RedisServer } from "../src/redis-server";
import { runWorkload, type WorkloadSizes } from "../src/workloads";

const sizes: WorkloadSizes = { single: 50, bulk: 300, drain: 300, latency: 50, latencyRate: 1_000, capSeconds: 60 };
const hasRedis = redisServerVersion() !== undefined;
if (!hasRedis) console.warn("[bench test] redis-server not installed (apt-get install -y redis-server): BullMQ tests skip");

async function runAll(peer: Peer): Promise<void> {
  for (const id of peer.workloads) {
    const session = await peer.openSession();
    try {
      const result = await runWorkload(id, session, sizes, () => undefined);
      if (result.kind === "throughput") {
        // Nothing is capped at these sizes: every planned message was counted.
        expect(result.messages, id).toBe(result.planned);
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
    const peer = createMqPeer(durability);
    expect(peer.workloads).not.toContain("drain-3p");
    await runAll(peer);
  });
});

describe.skipIf(!hasRedis)("Redis peers", () => {
  let server: RedisServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it("BullMQ runs every workload on appendfsync everysec, 3 Worker processes included", async () => {
    server ??= await startRedisServer("everysec");
    const peer = createBullmqPeer(server);
    expect(peer.workloads).toContain("drain-3p");
    await runAll(peer);
  });

  it("@mq/redis runs every workload on the same server, 3 host processes included", async () => {
    server ??= await startRedisServer("everysec");
    const peer = createMqRedisPeer(server);
    expect(peer.id).toBe("mq-redis-everysec");
    expect(peer.workloads).toContain("drain-3p");
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
