import { spawnSync } from "node:child_process";
import { MqError } from "@mq/core";
import { afterAll, describe, expect, it } from "vitest";
import { redisBackend } from "../src/index";
import { RedisServer, REDIS_CLI, REDIS_SERVER, SKIP_REASON } from "./redis-server";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cli = (port: number, ...args: string[]): string => spawnSync(REDIS_CLI!, ["-p", String(port), ...args], { encoding: "utf8" }).stdout?.trim() ?? "";

if (REDIS_SERVER === undefined) {
  describe("redis replication (WAIT)", () => it.skip(SKIP_REASON, () => undefined));
} else {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  describe("redis replication (WAIT)", () => {
    it("resolves a change only once the replica has it, and fails with ConnectionError when no replica acknowledges", async () => {
      const primary = await RedisServer.start({ appendfsync: "everysec" });
      const replica = await RedisServer.start({ replicaOf: primary.port });
      const b = redisBackend({ connection: { host: "127.0.0.1", port: primary.port }, prefix: "w", replication: { replicas: 1, timeoutMs: 500 } });
      cleanups.push(async () => {
        await b.close().catch(() => undefined);
        await replica.destroy();
        await primary.destroy();
      });
      const end = Date.now() + 20_000;
      while (!cli(replica.port, "info", "replication").includes("master_link_status:up")) {
        if (Date.now() > end) throw new Error("replica did not sync");
        await sleep(50);
      }
      await b.open();
      const [r] = await b.enqueue([{ queue: "q", payload: "replicated" }]);
      // WAIT returned: the replica already holds the message.
      expect(cli(replica.port, "exists", `${b.keys.base("q")}:m:${r!.id}`)).toBe("1");

      await replica.stop("SIGKILL");
      const failure = await b.enqueue([{ queue: "q", payload: "primary only" }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(MqError.isInstance(failure) && failure.code).toBe("MQ_CONNECTION");
      expect(String((failure as Error).message)).toMatch(/0 of 1 replicas/);
      // Applied on the primary all the same: the outcome was "unknown", not "refused".
      expect((await b.stats("q")).ready).toBe(2);
    });

    it("refuses replication on Cluster", async () => {
      const b = redisBackend({ connection: { cluster: [{ host: "127.0.0.1", port: 1 }], options: { lazyConnect: true } }, replication: { replicas: 1 } });
      await expect(b.open()).rejects.toMatchObject({ code: "MQ_INVALID_ARGUMENT" });
    });
  });
}
