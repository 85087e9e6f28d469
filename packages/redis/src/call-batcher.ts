import type { Cluster, Redis } from "ioredis";
import type { Reply } from "./decode";

type Client = Redis | Cluster;
type ScriptArgs = readonly (string | Buffer | number)[];
type ScriptFn = (...args: ScriptArgs) => Promise<Reply>;

interface Pending {
  readonly command: string;
  readonly args: ScriptArgs;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Sends script calls: the calls made in one burst (the same tick, up to its
 * microtasks) go out together in one write, and every burst goes out at once.
 *
 * Why not ioredis auto-pipelining: it keeps one pipeline in flight per
 * connection, so a call waits for the reply to the previous batch before it
 * is even written. With AOF `appendfsync always` every reply waits for an
 * fsync, and an enqueue then waits for the fsync of the acks (or enqueues)
 * sent just before it, then for its own: measured as the p99 of enqueue →
 * handler start. Here replies of earlier bursts are never waited for; Redis
 * reads whatever has arrived and covers it with one fsync.
 *
 * On Cluster every call goes out on its own (a pipeline must stay in one slot).
 */
export class CallBatcher {
  readonly #client: Client;
  readonly #coalesce: boolean;
  #pending: Pending[] = [];

  constructor(client: Client, coalesce: boolean) {
    this.#client = client;
    this.#coalesce = coalesce;
  }

  /** Calls the client method `command` (a script's command or its `…Buffer` variant, as `defineCommand` made them) with `args` (numKeys, keys, argv). */
  call(command: string, args: ScriptArgs): Promise<Reply> {
    if (!this.#coalesce) return this.#direct(command, args);
    return new Promise<Reply>((resolve, reject) => {
      if (this.#pending.push({ command, args, resolve, reject }) === 1) queueMicrotask(() => this.#flush());
    });
  }

  #direct(command: string, args: ScriptArgs): Promise<Reply> {
    const fn = (this.#client as unknown as Record<string, ScriptFn>)[command]!;
    return fn.apply(this.#client, args as (string | Buffer | number)[]);
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    // A client with auto-pipelining on (one the caller gave) would hold a lone call back: send it in a pipeline of one.
    if (batch.length === 1 && this.#client.options.enableAutoPipelining !== true) {
      const one = batch[0]!;
      this.#direct(one.command, one.args).then(one.resolve, one.reject);
      return;
    }
    const pipeline = this.#client.pipeline();
    const commands = pipeline as unknown as Record<string, (...args: ScriptArgs) => unknown>;
    for (const p of batch) commands[p.command]!.apply(pipeline, p.args as (string | Buffer | number)[]);
    pipeline.exec().then(
      (results) => {
        batch.forEach((p, i) => {
          const [error, reply] = results?.[i] ?? [new Error("redis pipeline returned no reply"), undefined];
          if (error !== null && error !== undefined) p.reject(error);
          else p.resolve(reply as Reply);
        });
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
  }
}
