import type { QueueSettings } from "./queue-backend";
import type { ErrorInfo } from "./errors/to-mq-error";

/** Lowest and highest message priority. Higher is delivered first; FIFO within a level. */
export const MIN_PRIORITY = 0;
export const MAX_PRIORITY = 9;

/** A stored message. Treat it as immutable: a replacement produces a new object. */
export interface Message<TPayload = unknown> {
  /** Unique, time-sortable id. */
  readonly id: string;
  readonly queue: string;
  readonly payload: TPayload;
  /** Dedup key, if the message was enqueued with one. */
  readonly key?: string;
  /** Starts at 1; a `replace` enqueue on the same key bumps it. */
  readonly version: number;
  /** 0–9, higher first. */
  readonly priority: number;
  /** Wall-clock epoch ms when first enqueued. */
  readonly enqueuedAt: number;
  /** Wall-clock epoch ms before which it is not delivered (delay or retry backoff). */
  readonly availableAt?: number;
  /** Wall-clock epoch ms after which it is never delivered (TTL). */
  readonly expiresAt?: number;
  /** Delivery attempts so far (counted when leased). */
  readonly attempts: number;
  readonly correlationId?: string;
  /** Id of the message whose handler published this one. */
  readonly causationId?: string;
  /** String headers; W3C `traceparent` travels here. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Deliveries before dead-lettering for this message, when it overrides the queue's `maxAttempts`. */
  readonly maxAttempts?: number;
  /** Retry delay for this message, when it overrides its handler's `backoff`. */
  readonly backoff?: MessageBackoff;
  /**
   * Ordering group, when the message was enqueued with one: a group's
   * messages are delivered in enqueue order, one at a time.
   */
  readonly group?: string;
}

/** A message's own retry delay: a number is a fixed delay in ms; exponential doubles from `baseMs` up to `maxMs`. */
export type MessageBackoff = number | { readonly type: "fixed" | "exponential"; readonly baseMs: number; readonly maxMs?: number; readonly jitter?: boolean };

/** Dedup behaviour for a key: replace a pending message in place, or drop duplicates within a window. */
export type DedupMode = "replace" | "drop";

/** Per-message enqueue options (everything but the destination and payload). */
export interface EnqueueOptions {
  /** Dedup key. */
  readonly key?: string;
  /** Fail with `VersionConflictError` unless the key's current version is this (0: the key must be new). */
  readonly expectedVersion?: number;
  /** 0–9, higher first. @default 0 */
  readonly priority?: number;
  /** Hold the message this long before it is delivered. */
  readonly delayMs?: number;
  /** Wall-clock epoch ms before which it is not delivered (instead of `delayMs`). */
  readonly availableAt?: number;
  /** Drop or dead-letter the message if not delivered within this long. */
  readonly ttlMs?: number;
  /** Wall-clock epoch ms after which it expires (instead of `ttlMs`). */
  readonly expiresAt?: number;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Deliveries before dead-lettering, for this message only (overrides the queue's `maxAttempts`). */
  readonly maxAttempts?: number;
  /** Retry delay for this message only (overrides the handler's `backoff` in the dispatcher). */
  readonly backoff?: MessageBackoff;
  /**
   * Ordering group (1–{@link MAX_GROUP_LENGTH} characters), e.g. `"customer-42"`.
   * A group's messages are delivered strictly in enqueue order with at most
   * one in flight; different groups run in parallel and are served round robin.
   * Backends without the `groups` capability reject it.
   */
  readonly group?: string;
}

/** Longest ordering group name, in characters. */
export const MAX_GROUP_LENGTH = 256;

/** One message to enqueue: to a queue directly, or to every queue bound to a topic. */
export type EnqueueItem<TPayload = unknown> = EnqueueOptions & { readonly payload: TPayload } & (
    | { readonly queue: string; readonly topic?: undefined }
    | { readonly topic: string; readonly queue?: undefined }
  );

/** What an enqueue did: a new message, an in-place replacement, or a dropped duplicate. */
export type EnqueueStatus = "created" | "replaced" | "duplicate";

/** The outcome of one enqueued item. */
export interface EnqueueResult {
  /** Message id. For a topic item, the first copy's id (or "" when no queue is bound). */
  readonly id: string;
  /** Queue name; for a topic item, the topic name. */
  readonly queue: string;
  readonly status: EnqueueStatus;
  /** The message's version after this enqueue. */
  readonly version: number;
  /** For a topic item: one result per bound queue. */
  readonly copies?: readonly EnqueueResult[];
}

/** A leased message handed to a consumer. */
export interface Delivery<TPayload = unknown> {
  readonly message: Message<TPayload>;
  /** Opaque lease token; pass it to ack, nack and extend. */
  readonly receipt: string;
  /** 1-based attempt number of this delivery (already counted durably). */
  readonly attempt: number;
  /** Wall-clock epoch ms at which the lease ends unless extended. */
  readonly leaseExpiresAt: number;
}

/** What a nack did with the message. */
export interface NackOutcome {
  readonly action: "retried" | "dead-lettered";
  /** Attempts used so far. */
  readonly attempts: number;
  /** For `retried`: wall-clock epoch ms when it is next available. */
  readonly availableAt?: number;
}

/** Why a message was dead-lettered. User code may supply its own reasons. */
export type DeadLetterReason = "max-retries" | "expired" | "rejected" | "poison" | (string & {});

/** A dead-lettered message with everything needed to understand why it died. */
export interface DeadLetter<TPayload = unknown> {
  readonly message: Message<TPayload>;
  readonly queue: string;
  readonly reason: DeadLetterReason;
  readonly error?: ErrorInfo;
  /** Wall-clock epoch ms of every delivery attempt. */
  readonly attemptTimestamps: readonly number[];
  readonly deadLetteredAt: number;
}

/** Counters and gauges for one queue (or, with `queue: "*"`, all queues summed). */
export interface QueueStats {
  readonly queue: string;
  readonly ready: number;
  readonly delayed: number;
  readonly inFlight: number;
  readonly deadLettered: number;
  /** Encoded payload bytes currently held (ready + delayed + in flight). */
  readonly bytes: number;
  readonly capacity: number;
  readonly maxBytes: number;
  /**
   * The settings the queue runs with now, every field resolved (built-in
   * defaults < `defaults` in code < `queues.<name>` in code < `configureQueue`
   * at runtime). Absent from the `"*"` sum.
   */
  readonly settings?: Readonly<Required<Omit<QueueSettings, "keepCompleted" | LimitSettingKey>>> & Pick<QueueSettings, "keepCompleted" | LimitSettingKey>;
  /**
   * Ordering groups by state (counts of groups, not messages). Present on
   * backends with the `groups` capability.
   */
  readonly groups?: GroupStats;
  /** How often limits held starts back, since the host started. Present on backends with the `rateLimits` capability. */
  readonly throttled?: ThrottleStats;
  /** Totals since the host started. */
  readonly totals: {
    readonly enqueued: number;
    readonly replaced: number;
    readonly duplicates: number;
    readonly delivered: number;
    readonly acked: number;
    readonly retried: number;
    readonly deadLettered: number;
    readonly expired: number;
  };
}

/** Settings of issue 16 (limits and groups): optional in resolved settings, so backends adopt them one by one. */
type LimitSettingKey = "rateLimit" | "groupRateLimit" | "maxInFlight" | "groupOnFailure";

/** Counts of a queue's ordering groups by state (each group is in exactly one). */
export interface GroupStats {
  /** Head ready, waiting for a consumer. */
  readonly ready: number;
  /** Head failed and waits for its retry (`groupOnFailure: "block"`), or its head is delayed. */
  readonly blocked: number;
  /** Head in flight. */
  readonly active: number;
  /** Held back by `throttle()` or an empty `groupRateLimit` bucket. */
  readonly throttled: number;
}

/** Counters of starts deferred by limits (each counts the times a limit held a start back). */
export interface ThrottleStats {
  /** The queue's `rateLimit` bucket was empty while a message could start. */
  readonly rateLimit: number;
  /** A group's `groupRateLimit` bucket was empty when its head could start. */
  readonly groupRateLimit: number;
  /** `maxInFlight` was reached while a message could start. */
  readonly maxInFlight: number;
  /** Handlers backed off with `throttle()` (`ctx.rateLimited(ms)`, `RateLimitedError`). */
  readonly backOff: number;
}

/** Where a message is, as {@link MessageInfo} reports it. */
export type MessageState = "ready" | "delayed" | "in-flight" | "completed" | "dead-lettered" | "unknown";

/** What a backend knows about one message id: the answer to "what happened to order 42?". */
export interface MessageInfo {
  readonly id: string;
  readonly queue: string;
  readonly state: MessageState;
  /** Delivery attempts so far (0 when unknown). */
  readonly attempts: number;
  /** Wall-clock epoch ms when first enqueued (absent when unknown or when only the completion is kept). */
  readonly enqueuedAt?: number;
  /** For a delayed message (or one waiting for a retry): when it is next available. */
  readonly availableAt?: number;
  /** Why the last attempt failed, when the backend still knows. */
  readonly lastError?: ErrorInfo;
  /** The last value the handler reported with `ctx.progress()` while it runs. */
  readonly progress?: unknown;
  /** For a completed message on a queue that keeps completions: the handler's return value. */
  readonly result?: unknown;
  /** For a completed message: when it was acked. */
  readonly completedAt?: number;
  /** For a dead-lettered message: why. */
  readonly deadLetterReason?: DeadLetterReason;
  /** The stored message (ready, delayed, in flight or dead-lettered). */
  readonly message?: Message;
}

/** A kept completion: the handler's return value and when the message was acked. */
export interface CompletedMessage {
  readonly id: string;
  readonly queue: string;
  readonly result: unknown;
  readonly completedAt: number;
}
