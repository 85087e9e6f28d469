import { RedisBackend } from "./redis-backend";
import type { RedisBackendOptions } from "./options";

export { RedisBackend, MAX_RECEIVE_BATCH } from "./redis-backend";
export type { RedisBackendOptions, RedisConnection } from "./options";

/**
 * A `QueueBackend` on Redis (standalone or Cluster). Call `open()` before use
 * (a host does it for you); many processes may open backends on the same
 * Redis and prefix to share the queues.
 *
 * @example
 * const backend = redisBackend({ connection: "redis://127.0.0.1:6379", prefix: "shop" });
 * await backend.open();
 */
export function redisBackend(options: RedisBackendOptions): RedisBackend {
  return new RedisBackend(options);
}
