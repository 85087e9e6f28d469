import { createDispatcher } from "@mq/dispatcher";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisBackend, type RedisBackend, type RedisConnection } from "../src/index";
import { RedisServer, REDIS_SERVER, SKIP_REASON, startCluster } from "./redis-server";

// The multi-host run's rare "delivered at attempt maxAttempts + 1" after a
// SIGKILL, made deterministic. The killed host held a message at its last
// attempt (3, with handlers at `maxRetries: 2`); its lease expired and the
// sweep took it back. Lease expiries are bounded by the queue's stored
// `maxAttempts` (the dispatcher applies `maxRetries` only to the failures it
// sees), and the queue was left at the default 5, so the message came back
// at attempt 4. Not a race in the scripts: with the queue's `maxAttempts` set
// to the handlers' bound, the sweep dead-letters it instead.
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

function suite(name: string, connect: () => RedisConnection): void {
  describe(`lease expiry at the last attempt: ${name}`, () => {
    let n = 0;
    const backends: RedisBackend[] = [];
    const open = async (prefix: string): Promise<RedisBackend> => {
      const b = redisBackend({ connection: connect(), prefix, sweepIntervalMs: 100 });
      await b.open();
      backends.push(b);
      return b;
    };
    afterAll(async () => {
      for (const b of backends) await b.close().catch(() => undefined);
    });

    /** A "victim" process takes the message to attempt 3 and dies holding its lease; a survivor (maxRetries 2) serves the queue. */
    async function killAtLastAttempt(queueMaxAttempts: number | undefined): Promise<{ survivorAttempts: number[]; survivor: RedisBackend }> {
      const prefix = `lx${++n}`;
      const victim = await open(prefix);
      const survivor = await open(prefix);
      if (queueMaxAttempts !== undefined) await survivor.configureQueue("q", { maxAttempts: queueMaxAttempts });
      await victim.enqueue([{ queue: "q", payload: "poison" }]);
      for (let attempt = 1; attempt <= 2; attempt++) {
        const [d] = await victim.receive("q", { max: 1, leaseMs: 60_000 });
        expect(d?.attempt).toBe(attempt);
        await victim.nack(d!.receipt, { maxAttempts: 3 }); // what the dispatcher sends with maxRetries: 2
      }
      const [last] = await victim.receive("q", { max: 1, leaseMs: 300 });
      expect(last?.attempt).toBe(3);
      await victim.close(); // dies holding the lease: nothing settles it

      const survivorAttempts: number[] = [];
      const dispatcher = createDispatcher(survivor);
      dispatcher.handle<string>(
        "q",
        (_payload, ctx) => {
          survivorAttempts.push(ctx.attempt);
          throw new Error("poison");
        },
        { maxRetries: 2, backoff: 0 },
      );
      dispatcher.start();
      try {
        await until(async () => (await survivor.stats("q")).deadLettered === 1);
        await sleep(300); // a delivery racing the dead-lettering would show here
      } finally {
        await dispatcher.stop({ drainTimeoutMs: 1_000 });
      }
      return { survivorAttempts, survivor };
    }

    it("with the queue's maxAttempts left at 5, the expired last attempt comes back as attempt 4 (the multi-host symptom)", async () => {
      const { survivorAttempts, survivor } = await killAtLastAttempt(undefined);
      expect(survivorAttempts).toEqual([4]);
      const [letter] = (await survivor.deadLetters.list({ queue: "q" })).items;
      expect([letter?.reason, letter?.message.attempts]).toEqual(["max-retries", 4]);
    });

    it("with the queue's maxAttempts matching the handlers' maxRetries + 1, the sweep dead-letters it and nobody sees attempt 4", async () => {
      const { survivorAttempts, survivor } = await killAtLastAttempt(3);
      expect(survivorAttempts).toEqual([]);
      const [letter] = (await survivor.deadLetters.list({ queue: "q" })).items;
      expect([letter?.reason, letter?.message.attempts, letter?.error?.name]).toEqual(["max-retries", 3, "LeaseExpired"]);
      const s = await survivor.stats("q");
      expect([s.ready, s.delayed, s.inFlight, s.totals.delivered]).toEqual([0, 0, 0, 3]);
    });
  });
}

if (REDIS_SERVER === undefined) {
  describe("lease expiry at the last attempt", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let server: RedisServer;
  let cluster: { nodes: RedisServer[]; destroy: () => Promise<void> };
  beforeAll(async () => {
    server = await RedisServer.start();
    cluster = await startCluster();
  });
  afterAll(async () => {
    await server?.destroy();
    await cluster?.destroy();
  });
  suite("single node", () => ({ host: "127.0.0.1", port: server.port }));
  suite("three-master cluster", () => ({ cluster: cluster.nodes.map((s) => ({ host: "127.0.0.1", port: s.port })) }));
}
