import { Redis } from "ioredis";
import type { RedisServer } from "./redis-server";

/** Empty a redis-server this app started, so each workload starts alike (and memory stays bounded). */
export async function flushAll(server: RedisServer): Promise<void> {
  const client = new Redis({ host: server.host, port: server.port, lazyConnect: true, maxRetriesPerRequest: 3 });
  try {
    await client.connect();
    await client.flushall();
  } finally {
    client.disconnect();
  }
}
