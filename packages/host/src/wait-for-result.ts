import { AbortedError, MqError, MQ_ERROR_CODES, MAX_TIMER_MS, TimeoutError, toMqError, type Clock, type CompletedMessage, type QueueBackend } from "@mq/core";

/** Options of `host.waitForResult`. */
export interface WaitForResultOptions {
  /** Stop waiting (rejects with `AbortedError`). */
  readonly signal?: AbortSignal;
  /** Give up after this long (rejects with `TimeoutError`). @default no limit */
  readonly timeoutMs?: number;
}

/**
 * Resolves with the completion of message `id` once it is acked (at once if
 * it already is), on a queue that keeps completions. Rejects with an
 * `MQ_UNRECOVERABLE` error if the message is dead-lettered meanwhile.
 */
export function waitForResult(backend: QueueBackend, clock: Clock, id: string, options: WaitForResultOptions = {}): Promise<CompletedMessage> {
  const lookup = backend.completion?.bind(backend);
  if (lookup === undefined) return Promise.reject(new MqError({ code: MQ_ERROR_CODES.INVALID_ARGUMENT, message: "[mq] this backend does not keep completions; use the embedded engine with keepCompleted on the queue" }));
  const { signal, timeoutMs } = options;
  if (signal?.aborted === true) return Promise.reject(new AbortedError("waitForResult", signal.reason));
  return new Promise<CompletedMessage>((resolve, reject) => {
    let timer: unknown;
    let done = false;
    const finish = (outcome: () => void): void => {
      if (done) return;
      done = true;
      backend.events.off("completed", onCompleted);
      backend.events.off("deadLettered", onDead);
      signal?.removeEventListener("abort", onAbort);
      if (timer !== undefined) clock.clearTimeout(timer);
      outcome();
    };
    const onCompleted = (event: { queue: string; id: string; result: unknown }): void => {
      if (event.id !== id) return;
      // Read it back so the answer is the stored one (and its completion time).
      lookup(id).then(
        (found) => finish(() => (found === undefined ? reject(notKept(id)) : resolve(found))),
        (error: unknown) => finish(() => reject(toMqError(error, "waitForResult failed"))),
      );
    };
    const onDead = (event: { queue: string; id: string; reason: string }): void => {
      if (event.id === id) finish(() => reject(new MqError({ code: MQ_ERROR_CODES.UNRECOVERABLE, message: `[mq] message "${id}" was dead-lettered (${event.reason}); it has no result. Look at host.deadLetters for why` })));
    };
    const onAbort = (): void => finish(() => reject(new AbortedError("waitForResult", signal?.reason)));
    backend.events.on("completed", onCompleted);
    backend.events.on("deadLettered", onDead);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeoutMs !== undefined) timer = clock.setTimeout(() => finish(() => reject(new TimeoutError(`waitForResult("${id}")`, timeoutMs))), Math.min(timeoutMs, MAX_TIMER_MS));
    // Already completed before we listened?
    lookup(id).then(
      (found) => {
        if (found !== undefined) finish(() => resolve(found));
      },
      (error: unknown) => finish(() => reject(toMqError(error, "waitForResult failed"))),
    );
  });
}

function notKept(id: string): MqError {
  return new MqError({ code: MQ_ERROR_CODES.NOT_FOUND, message: `[mq] message "${id}" completed but its completion is not kept; set keepCompleted on its queue` });
}
