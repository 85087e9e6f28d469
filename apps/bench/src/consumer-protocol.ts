/**
 * The line protocol between the bench and its consumer processes. Child to
 * parent on stdout: `ready` once connected, then `done <total>` with its
 * cumulative count of recorded completions, and `start <i> <ms>` when a
 * handler started on a timed message (payload `t` ≠ 0): enqueue → start in
 * ms, across processes through `performance.timeOrigin`. Parent to child on stdin: `go`
 * (register the handler), `stop` (finish and exit).
 */
export type ConsumerMessage =
  | { readonly kind: "ready" }
  | { readonly kind: "done"; readonly total: number }
  | { readonly kind: "start"; readonly i: number; readonly ms: number };

/** The queue (inside its own key prefix) the @mq/redis peer and its consumer processes use. */
export const MQ_REDIS_QUEUE = "bench";

/** What a consumer process runs: a host on `redisBackend`, or a BullMQ Worker. */
export type ConsumerKind = "mq-redis" | "bullmq";

/** Arguments of a consumer process, in order after the script path. */
export interface ConsumerArgs {
  readonly kind: ConsumerKind;
  readonly port: number;
  /** @mq/redis key prefix or BullMQ queue name, so both products never share keys. */
  readonly queue: string;
  readonly concurrency: number;
  /** The parent's `performance.timeOrigin`: payload `t` is `performance.now()` there. */
  readonly origin: number;
}

/** enqueue → start in ms for a payload stamped `t` by a parent whose clock began at `origin`. */
export function latencySince(origin: number, t: number, now = performance.timeOrigin + performance.now()): number {
  return now - (origin + t);
}

/** Parse one stdout line of a consumer process; undefined for anything else (a stray log line is ignored). */
export function parseConsumerLine(line: string): ConsumerMessage | undefined {
  const text = line.trim();
  if (text === "ready") return { kind: "ready" };
  const done = /^done (\d+)$/.exec(text);
  if (done !== null) return { kind: "done", total: Number(done[1]) };
  const start = /^start (\d+) (-?\d+(?:\.\d+)?(?:e-?\d+)?)$/.exec(text);
  return start === null ? undefined : { kind: "start", i: Number(start[1]), ms: Number(start[2]) };
}

/** argv for a consumer process (after the script). */
export function consumerArgv(args: ConsumerArgs): string[] {
  return [args.kind, String(args.port), args.queue, String(args.concurrency), String(args.origin)];
}

/** Read the arguments back in the child; throws on anything malformed. */
export function parseConsumerArgv(argv: readonly string[]): ConsumerArgs {
  const [kind, port, queue, concurrency, origin] = argv;
  if (kind !== "mq-redis" && kind !== "bullmq") throw new Error(`[mq:bench] consumer kind must be mq-redis or bullmq, not "${kind}"`);
  const portNumber = Number(port);
  const concurrencyNumber = Number(concurrency);
  if (!Number.isInteger(portNumber) || portNumber <= 0 || portNumber > 65_535) throw new Error(`[mq:bench] consumer port "${port}" is not a port`);
  if (queue === undefined || queue === "") throw new Error("[mq:bench] consumer needs a queue name");
  if (!Number.isInteger(concurrencyNumber) || concurrencyNumber <= 0) throw new Error(`[mq:bench] consumer concurrency "${concurrency}" is not a positive whole number`);
  const originNumber = Number(origin);
  if (origin === undefined || !Number.isFinite(originNumber)) throw new Error(`[mq:bench] consumer clock origin "${origin}" is not a number`);
  return { kind, port: portNumber, queue, concurrency: concurrencyNumber, origin: originNumber };
}
