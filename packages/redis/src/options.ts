import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from "ioredis";

/** Where to connect: a URL, ioredis options, or the seed nodes of a Redis Cluster. */
export type RedisConnection = string | RedisOptions | { readonly cluster: readonly ClusterNode[]; readonly options?: ClusterOptions };

/** Options of {@link redisBackend}. Give `connection` or `client`. */
export interface RedisBackendOptions {
  /** Connect with these settings; the backend owns (and closes) the connections. */
  readonly connection?: RedisConnection;
  /** Use this client (`Redis` or `Cluster`); the backend duplicates it for pub/sub and never closes it. */
  readonly client?: Redis | Cluster;
  /** Prefix of every key and channel, so several deployments can share one Redis. @default "mq" */
  readonly prefix?: string;
  /** Longest gap between two scheduler sweeps (finds leases of dead processes, delays set by others, and ready queues whose wake-up was lost). @default 1000 */
  readonly sweepIntervalMs?: number;
  /** Most messages one sweep of a queue moves per kind (delayed, expired, lease). @default 1000 */
  readonly sweepBatch?: number;
  /** A command that gets no reply within this fails with `ConnectionError` (outcome unknown). @default 10000 */
  readonly commandTimeoutMs?: number;
  /** Reconnect attempts a command waits through before failing with `ConnectionError`. @default 2 */
  readonly maxRetriesPerRequest?: number;
  /**
   * Standalone Redis with replicas: after every change, `WAIT` until this many
   * replicas have it (or `timeoutMs` passes, default 1000; then the call fails
   * with `ConnectionError`: it is applied on the primary but may be lost on a
   * failover). Not available on Cluster.
   */
  readonly replication?: { readonly replicas: number; readonly timeoutMs?: number };
}
