import { MqError } from "@mq/core";
import { createDispatcher } from "@mq/dispatcher";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { redisBackend } from "../src/index";
import { freePort, RedisServer, REDIS_SERVER, SKIP_REASON } from "./redis-server";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

if (REDIS_SERVER === undefined) {
  describe("redis connection loss", () => it.skip(SKIP_REASON, () => undefined));
} else {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  describe("redis connection loss", () => {
    it("fails open() with ConnectionError when Redis is not there", async () => {
      const b = redisBackend({ connection: { host: "127.0.0.1", port: await freePort() }, maxRetriesPerRequest: 0 });
      await expect(b.open()).rejects.toMatchObject({ code: "MQ_CONNECTION" });
      await expect(b.enqueue([{ queue: "q", payload: 1 }])).rejects.toMatchObject({ code: "MQ_HOST_CLOSED" });
    });

    it("fails calls with ConnectionError within a bound, signals the outage, and handlers resume when Redis returns", async () => {
      const server = await RedisServer.start({ appendfsync: "always" });
      const b = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "conn", commandTimeoutMs: 2_000, maxRetriesPerRequest: 1, sweepIntervalMs: 200 });
      const dispatcher = createDispatcher(b);
      cleanups.push(async () => {
        await dispatcher.stop({ drainTimeoutMs: 1_000 }).catch(() => undefined);
        await b.close().catch(() => undefined);
        await server.destroy();
      });
      await b.open();
      const errors: string[] = [];
      b.events.on("error", (e) => errors.push(e.code));
      const handled: number[] = [];
      dispatcher.handle<number>("q", (n) => void handled.push(n), { maxParallelism: 4 });
      dispatcher.start();
      await b.enqueue([1, 2, 3].map((n) => ({ queue: "q", payload: n })));
      // Acked, not only handled: an ack lost with the server is retried as a failed attempt and the message runs again.
      await until(async () => (await b.stats("q")).totals.acked === 3, 10_000);

      await server.stop("SIGKILL");
      const started = Date.now();
      const failure = await b.enqueue([{ queue: "q", payload: 99 }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(MqError.isInstance(failure) && failure.code).toBe("MQ_CONNECTION");
      expect(Date.now() - started).toBeLessThan(15_000);
      const receiveFailure = await b.receive("q", { max: 1, leaseMs: 1_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(MqError.isInstance(receiveFailure) && receiveFailure.code).toBe("MQ_CONNECTION");
      expect(errors).toContain("MQ_CONNECTION");
      expect(b.available).toBe(false);

      await server.launch();
      await until(() => b.available, 60_000);
      // The message whose enqueue failed may or may not have been stored (outcome unknown): 99 is allowed either way.
      await b.enqueue([4, 5].map((n) => ({ queue: "q", payload: n })));
      // Generous: the dispatcher's receive backoff (up to 5 s) plus a loaded CI machine.
      await until(() => handled.includes(4) && handled.includes(5), 60_000);
      expect(handled.filter((n) => n !== 99).sort()).toEqual([1, 2, 3, 4, 5]);
    });

    // SIGSTOP freezes Redis with its sockets open: commands time out, the
    // connection never drops, so no reconnect ever says it is back. The
    // first reply after SIGCONT must (the same holds for a command that timed
    // out just as a reconnect had already happened: seen under CI load).
    it("an outage seen only as command timeouts ends with the next reply", async () => {
      const server = await RedisServer.start();
      const b = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "stall", commandTimeoutMs: 500, sweepIntervalMs: 200 });
      const dispatcher = createDispatcher(b);
      cleanups.push(async () => {
        server.signal("SIGCONT");
        await dispatcher.stop({ drainTimeoutMs: 1_000 }).catch(() => undefined);
        await b.close().catch(() => undefined);
        await server.destroy();
      });
      await b.open();
      const handled: number[] = [];
      dispatcher.handle<number>("q", (n) => void handled.push(n), { maxParallelism: 2 });
      dispatcher.start();
      await b.enqueue([{ queue: "q", payload: 1 }]);
      await until(() => handled.length === 1, 10_000);

      server.signal("SIGSTOP");
      const failure = await b.enqueue([{ queue: "q", payload: 99 }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(MqError.isInstance(failure) && failure.code).toBe("MQ_CONNECTION");
      expect(b.available).toBe(false);
      server.signal("SIGCONT");
      await until(() => b.available, 20_000);
      await b.enqueue([{ queue: "q", payload: 2 }]);
      await until(() => handled.includes(2), 20_000);
    });

    // Redis does not keep pub/sub messages for a subscriber that is away: a
    // wake-up published while the subscriber connection reconnects is gone.
    // The backend must look again once it is subscribed (the CI failure above:
    // after a restart the command connection was back before the subscriber,
    // the enqueue's wake-up fell in between and the idle dispatcher never
    // looked). The sweep is slowed to a minute so it cannot hide a lost wake-up.
    it("a wake-up published while the subscriber reconnects is not lost", async () => {
      const server = await RedisServer.start();
      const b = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix: "resub", sweepIntervalMs: 60_000 });
      const admin = new Redis({ host: "127.0.0.1", port: server.port, lazyConnect: true });
      const dispatcher = createDispatcher(b);
      cleanups.push(async () => {
        await dispatcher.stop({ drainTimeoutMs: 1_000 }).catch(() => undefined);
        await b.close().catch(() => undefined);
        admin.disconnect();
        await server.destroy();
      });
      await b.open();
      await admin.connect();
      const handled: number[] = [];
      dispatcher.handle<number>("q", (n) => void handled.push(n), { maxParallelism: 2 });
      dispatcher.start();
      await b.enqueue([{ queue: "q", payload: 1 }]);
      await until(() => handled.length === 1, 10_000);
      // Let the dispatcher's follow-up receive come back empty: it now waits for a wake-up.
      await sleep(200);

      for (let round = 2; round <= 4; round++) {
        // Only the subscriber goes; the command connection (and `available`) stay up.
        expect(await admin.client("KILL", "TYPE", "pubsub")).toBeGreaterThan(0);
        // Sent at once, well inside the subscriber's first reconnect delay (100 ms).
        await b.enqueue([{ queue: "q", payload: round }]);
        await until(() => handled.includes(round), 20_000);
      }
      expect(handled).toEqual([1, 2, 3, 4]);
      expect(b.available).toBe(true);
    });
  });
}
