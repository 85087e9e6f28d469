import { runBackendConformance } from "@mq/core/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import { redisBackend } from "../src/index";
import { RedisServer, REDIS_SERVER, SKIP_REASON } from "./redis-server";

// MQ_REDIS_URL runs the suite against an existing Redis instead of a private
// one (each test uses its own fresh prefix there too).
const external = process.env.MQ_REDIS_URL;

if (REDIS_SERVER === undefined && external === undefined) {
  describe("redis conformance", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let server: RedisServer | undefined;
  let n = 0;
  const run = `${process.pid}-${Date.now().toString(36)}`;
  beforeAll(async () => {
    if (external === undefined) server = await RedisServer.start({ appendfsync: "everysec" });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  runBackendConformance(
    "redis (single node)",
    async () => {
      // A fresh prefix per test gives each an empty store on the shared server.
      const prefix = `t${run}-${++n}`;
      const make = async () => {
        const b = redisBackend({ connection: external ?? { host: "127.0.0.1", port: server!.port }, prefix, sweepIntervalMs: 200 });
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
