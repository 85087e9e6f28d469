import type { RedisBackendOptions } from "./options";

/** ioredis reconnect delay: 100 ms, doubling, at most 2 s. */
export function reconnectDelay(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 6), 2_000);
}

/** Where a backend connects, for `ConnectionError.target` (credentials left out). */
export function describeTarget(options: RedisBackendOptions): string {
  const c = options.connection;
  if (typeof c === "string") return c.replace(/\/\/[^@/]*@/, "//");
  if (c !== undefined && "cluster" in c) return `redis-cluster://${c.cluster.map((n) => (typeof n === "object" ? `${n.host ?? "127.0.0.1"}:${n.port ?? 6379}` : String(n))).join(",")}`;
  if (c !== undefined) return `redis://${c.host ?? "127.0.0.1"}:${c.port ?? 6379}`;
  return "redis";
}
