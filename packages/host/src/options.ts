import { InvalidOptionsError, type Clock, type DurabilityMode, type Logger, type Persistence, type QueueBackend, type QueueSettings } from "@mq/core";
import type { HandlerResolver } from "@mq/dispatcher";
import * as v from "valibot";
import { DEFAULT_MAX_DEAD_LETTERS, defaultDataDir } from "./defaults";
import { queueSettingsSchema, toOptionIssues } from "./engine/queue-settings";

/** Options of {@link createQueueHost}. Every field is optional. */
export interface QueueHostOptions {
  /** Data folder of the file journal. @default ".mq-data" in the current working directory */
  readonly dataDir?: string;
  /** When an enqueue or ack resolves; see the durability table. `none` keeps everything in memory. @default "batch" */
  readonly durability?: DurabilityMode;
  /** fdatasync period for `interval` durability. @default 100 */
  readonly intervalMs?: number;
  /** Any Persistence adapter (file, memory, your own); overrides dataDir and durability. */
  readonly persistence?: Persistence;
  /** Settings applied to every queue. */
  readonly defaults?: QueueSettings;
  /** Settings per queue name (over `defaults`). */
  readonly queues?: Readonly<Record<string, QueueSettings>>;
  /** Dead letters kept before the oldest are dropped. @default 100_000 */
  readonly maxDeadLetters?: number;
  /** Snapshot triggers of the file journal. */
  readonly snapshot?: { readonly everyOps?: number; readonly everyMs?: number; readonly onClose?: boolean };
  /** Journal segment size in bytes. @default 64 MiB */
  readonly segmentBytes?: number;
  /** How long stop() waits for running handlers. @default 25_000 */
  readonly drainTimeoutMs?: number;
  /** Time source; replace in tests. */
  readonly clock?: Clock;
  /** Where the host, journal and dispatcher log (pino-compatible: `logger.warn(fields, message)`). @default silent */
  readonly logger?: Logger;
  /**
   * Run on another backend instead of the embedded engine, e.g. `redisBackend(...)`
   * from `@mq/redis`; `dataDir`, `durability` and `persistence` then do not apply.
   */
  readonly backend?: QueueBackend;
  /** Resolves handler tokens per message (a DI container such as awilix plugs in here). */
  readonly resolver?: HandlerResolver;
}

/** The options after defaults, as the host runs with them. */
export interface ResolvedHostOptions {
  readonly dataDir: string;
  readonly durability: DurabilityMode;
  readonly intervalMs: number;
  readonly defaults: QueueSettings;
  readonly queues: Readonly<Record<string, QueueSettings>>;
  readonly maxDeadLetters: number;
  readonly snapshot: { readonly everyOps?: number; readonly everyMs?: number; readonly onClose?: boolean };
  readonly segmentBytes?: number;
  readonly drainTimeoutMs: number;
  readonly customPersistence: boolean;
}

const isObject = (input: unknown): boolean => typeof input === "object" && input !== null;

const schema = v.strictObject({
  dataDir: v.optional(v.pipe(v.string(), v.minLength(1))),
  durability: v.optional(v.picklist(["always", "batch", "interval", "none"])),
  intervalMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  persistence: v.optional(v.custom<Persistence>((p) => isObject(p) && typeof (p as Persistence).append === "function" && typeof (p as Persistence).open === "function", "must be a Persistence adapter (open, append, snapshot, close)")),
  defaults: v.optional(queueSettingsSchema),
  queues: v.optional(v.record(v.pipe(v.string(), v.minLength(1), v.maxLength(200)), queueSettingsSchema)),
  maxDeadLetters: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  snapshot: v.optional(
    v.strictObject({
      everyOps: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
      everyMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
      onClose: v.optional(v.boolean()),
    }),
  ),
  segmentBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(4096))),
  drainTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  logger: v.optional(v.custom<Logger>((l) => isObject(l) && ["debug", "info", "warn", "error"].every((m) => typeof (l as Record<string, unknown>)[m] === "function"), "must be a logger with debug, info, warn and error methods (pino's shape)")),
  backend: v.optional(v.custom<QueueBackend>((b) => isObject(b) && ["enqueue", "receive", "ack", "nack", "release", "open", "close"].every((m) => typeof (b as Record<string, unknown>)[m] === "function"), "must be a QueueBackend (enqueue, receive, ack, nack, release, open, close, …)")),
  resolver: v.optional(v.custom<HandlerResolver>((r) => isObject(r) && typeof (r as HandlerResolver).resolve === "function", "must be a resolver with a resolve(token) method")),
  clock: v.optional(v.custom<Clock>((c) => isObject(c) && typeof (c as Clock).now === "function" && typeof (c as Clock).setTimeout === "function", "must be a Clock (now, monotonic, setTimeout, clearTimeout)")),
});

/** Validates options once and fills in defaults; throws `InvalidOptionsError` listing every problem. */
export function resolveHostOptions(options: QueueHostOptions | undefined): ResolvedHostOptions {
  const result = v.safeParse(schema, options ?? {});
  if (!result.success) throw new InvalidOptionsError("host", toOptionIssues(result.issues));
  if (result.output.backend !== undefined && (result.output.persistence !== undefined || result.output.dataDir !== undefined || result.output.durability !== undefined)) {
    throw new InvalidOptionsError("host", [{ path: "backend", message: "give either backend or dataDir/durability/persistence: a custom backend stores its own state" }]);
  }
  const o = result.output;
  return {
    dataDir: o.dataDir ?? defaultDataDir(),
    durability: o.durability ?? "batch",
    intervalMs: o.intervalMs ?? 100,
    defaults: (o.defaults ?? {}) as QueueSettings,
    queues: (o.queues ?? {}) as Record<string, QueueSettings>,
    maxDeadLetters: o.maxDeadLetters ?? DEFAULT_MAX_DEAD_LETTERS,
    snapshot: (o.snapshot ?? {}) as ResolvedHostOptions["snapshot"],
    ...(o.segmentBytes === undefined ? {} : { segmentBytes: o.segmentBytes }),
    drainTimeoutMs: o.drainTimeoutMs ?? 25_000,
    customPersistence: o.persistence !== undefined,
  };
}
