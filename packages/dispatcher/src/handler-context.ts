import { InvalidArgumentError, LeaseLostError, newId } from "@mq/core";
import type { EnqueueOptions } from "@mq/core";
import type { Invocation, InvocationOwner } from "./invocation";
import { withFields } from "./logger";
import type { Logger } from "./logger";
import type { HandlerContext } from "./types";

/** Builds the `ctx` a handler receives. Methods are closures, so destructuring `{ publish }` works. */
export function createHandlerContext(invocation: Invocation, owner: InvocationOwner): HandlerContext<unknown> {
  const { message, attempt, receipt } = invocation.delivery;
  let correlationId: string | undefined;
  let log: Logger | undefined;
  return {
    signal: invocation.signal,
    message,
    attempt,
    receipt,
    extendLease: (ms) => {
      if (!Number.isInteger(ms) || ms <= 0) return Promise.reject(new InvalidArgumentError("dispatcher", "ms", `extendLease needs a positive integer of milliseconds, got ${String(ms)}`));
      return invocation.extendLease(ms);
    },
    publish: (destination, payload, options?: EnqueueOptions) => {
      if (!invocation.active) throw new LeaseLostError(receipt, "the handler already finished; publish only while it runs");
      const target = toTarget(destination);
      // One correlation id per invocation, so every message it publishes shares it.
      correlationId ??= message.correlationId ?? newId();
      const headers = message.headers === undefined ? options?.headers : { ...message.headers, ...options?.headers };
      invocation.addPublish({
        ...options,
        ...target,
        payload,
        correlationId: options?.correlationId ?? correlationId,
        causationId: options?.causationId ?? message.id,
        ...(headers === undefined ? {} : { headers }),
      });
    },
    get log() {
      log ??= withFields(owner.logger, { queue: owner.queue, messageId: message.id, attempt });
      return log;
    },
  };
}

// ---------------------------------------------------------------------------

function toTarget(destination: string | { readonly topic: string }): { queue: string } | { topic: string } {
  if (typeof destination === "string" && destination !== "") return { queue: destination };
  if (typeof destination === "object" && destination !== null && typeof destination.topic === "string" && destination.topic !== "") {
    return { topic: destination.topic };
  }
  throw new InvalidArgumentError("dispatcher", "destination", "publish needs a queue name or { topic } with a non-empty name");
}
