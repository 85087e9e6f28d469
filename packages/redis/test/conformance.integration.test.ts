import { runBackendConformance } from "@mq/core/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { redisBackend } from "../src/index";
import { RedisServer, REDIS_SERVER, SKIP_REASON } from "./redis-server";

if (REDIS_SERVER === undefined) {
  describe("redis conformance", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let server: RedisServer;
  let n = 0;
  beforeAll(async () => {
    server = await RedisServer.start({ appendfsync: "everysec" });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  runBackendConformance(
    "redis (single node)",
    async () => {
      // A fresh prefix per test gives each an empty store on the shared server.
      const prefix = `t${++n}`;
      const make = async () => {
        const b = redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix, sweepIntervalMs: 200 });
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
