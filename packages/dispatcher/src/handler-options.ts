import { InvalidOptionsError, MAX_TIMER_MS } from "@mq/core";
import type { OptionIssue } from "@mq/core";
import * as v from "valibot";
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_HANDLER_OPTIONS, MAX_PARALLELISM, defaultLeaseMs } from "./defaults";
import type { BackoffOption, BackoffPolicy, HandlerOptions, ResolvedHandlerOptions } from "./types";

const millis = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(MAX_TIMER_MS));

const backoffSchema = v.union([
  millis(0),
  v.strictObject({
    type: v.picklist(["fixed", "exponential"]),
    baseMs: millis(0),
    maxMs: v.optional(millis(0)),
    jitter: v.optional(v.boolean()),
  }),
]);

const handlerOptionsSchema = v.strictObject({
  maxParallelism: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_PARALLELISM))),
  minParallelism: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_PARALLELISM))),
  timeoutMs: v.optional(millis(1)),
  maxRetries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1_000_000))),
  backoff: v.optional(backoffSchema),
  autoExtend: v.optional(v.boolean()),
  leaseMs: v.optional(millis(1)),
  prefetch: v.optional(v.union([v.literal("auto"), v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_PARALLELISM))])),
  maxPendingAcks: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1_000_000))),
});

const drainOptionsSchema = v.strictObject({
  drainTimeoutMs: v.optional(millis(0)),
});

const dispatcherOptionsSchema = v.strictObject({
  clock: v.optional(v.custom((c) => typeof c === "object" && c !== null, "must be a Clock (now, monotonic, setTimeout, clearTimeout)")),
  logger: v.optional(v.custom((l) => typeof l === "object" && l !== null, "must be a logger with debug, info, warn and error methods (pino's shape)")),
  resolver: v.optional(v.custom((r) => typeof r === "object" && r !== null, "must be a resolver with a resolve(token) method")),
  drainTimeoutMs: v.optional(millis(0)),
  random: v.optional(v.custom((f) => typeof f === "function", "must be a function returning a number in [0, 1)")),
});

/** Validates the options of `handle()` (reporting every problem, named `[mq:handle]`) and applies defaults. */
export function resolveHandlerOptions(options: HandlerOptions | undefined): ResolvedHandlerOptions {
  const parsed = parse("handle", handlerOptionsSchema, options ?? {});
  const maxParallelism = parsed.maxParallelism ?? DEFAULT_HANDLER_OPTIONS.maxParallelism;
  const minParallelism = parsed.minParallelism ?? Math.min(DEFAULT_HANDLER_OPTIONS.minParallelism, maxParallelism);
  const issues: OptionIssue[] = [];
  if (minParallelism > maxParallelism) issues.push({ path: "minParallelism", message: `must not exceed maxParallelism (${maxParallelism}), got ${minParallelism}` });
  // valibot types absent keys as `undefined`; resolveBackoff treats both alike.
  const backoff = resolveBackoff(parsed.backoff as BackoffOption | undefined);
  if (backoff.maxMs < backoff.baseMs) issues.push({ path: "backoff.maxMs", message: `must be at least baseMs (${backoff.baseMs}), got ${backoff.maxMs}` });
  if (issues.length > 0) throw new InvalidOptionsError("handle", issues);
  const timeoutMs = parsed.timeoutMs ?? DEFAULT_HANDLER_OPTIONS.timeoutMs;
  const autoExtend = parsed.autoExtend ?? DEFAULT_HANDLER_OPTIONS.autoExtend;
  return Object.freeze({
    maxParallelism,
    minParallelism,
    timeoutMs,
    ...(parsed.maxRetries === undefined ? {} : { maxRetries: parsed.maxRetries }),
    backoff,
    autoExtend,
    leaseMs: parsed.leaseMs ?? defaultLeaseMs(autoExtend, timeoutMs),
    prefetch: parsed.prefetch ?? DEFAULT_HANDLER_OPTIONS.prefetch,
    maxPendingAcks: parsed.maxPendingAcks ?? DEFAULT_HANDLER_OPTIONS.maxPendingAcks,
  });
}

/** Normalizes the `backoff` shorthand (a number means a fixed delay). */
export function resolveBackoff(option: BackoffOption | undefined): BackoffPolicy {
  if (option === undefined) return DEFAULT_HANDLER_OPTIONS.backoff;
  if (typeof option === "number") return Object.freeze({ type: "fixed", baseMs: option, maxMs: option, jitter: false });
  const maxMs = option.maxMs ?? (option.type === "fixed" ? option.baseMs : Math.max(option.baseMs, DEFAULT_HANDLER_OPTIONS.backoff.maxMs));
  return Object.freeze({ type: option.type, baseMs: option.baseMs, maxMs, jitter: option.jitter ?? option.type === "exponential" });
}

/** Validates `createDispatcher()`'s options (unknown keys included) and returns the drain deadline. */
export function resolveDispatcherOptions(options: unknown): number {
  const parsed = parse("createDispatcher", dispatcherOptionsSchema, options ?? {});
  return parsed.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
}

/** Validates the options of `stop()` or `unregister()` (named by `operation`) and returns the drain deadline, if given. */
export function resolveDrainTimeoutMs(options: unknown, operation: string): number | undefined {
  return parse(operation, drainOptionsSchema, options ?? {}).drainTimeoutMs;
}

// ---------------------------------------------------------------------------

function parse<TSchema extends v.GenericSchema>(part: string, schema: TSchema, input: unknown): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  throw new InvalidOptionsError(
    part,
    result.issues.map((issue) => ({ path: v.getDotPath(issue) ?? "", message: issue.message })),
  );
}
