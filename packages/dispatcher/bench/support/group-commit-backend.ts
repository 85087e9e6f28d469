import type { QueueBackend } from "@mq/core";

/**
 * Wraps a backend so that every lease-changing call (receive, ack, nack,
 * release, extend) resolves only after a simulated group commit of
 * `commitMs`: calls arriving while a commit is on the "disk" share the next
 * one, as the file journal's `batch` durability does. It shows whether the
 * dispatcher keeps its handlers busy while commits are in flight, without
 * the noise of a real disk on a shared machine.
 */
export function withGroupCommit(backend: QueueBackend, commitMs: number): QueueBackend {
  let committing = false;
  let waiting: (() => void)[] = [];
  const commit = (): void => {
    if (committing || waiting.length === 0) return;
    committing = true;
    const batch = waiting;
    waiting = [];
    setTimeout(() => {
      committing = false;
      for (const done of batch) done();
      commit();
    }, commitMs);
  };
  const durable = <T>(result: Promise<T>): Promise<T> =>
    result.then(
      (value) =>
        new Promise<T>((resolve) => {
          waiting.push(() => resolve(value));
          commit();
        }),
    );
  return new Proxy(backend, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== "function") return value;
      if (key === "receive" || key === "ack" || key === "nack" || key === "release" || key === "extend") {
        return (...args: unknown[]) => durable((value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
