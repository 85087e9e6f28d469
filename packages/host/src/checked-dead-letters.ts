import { assertDeadLetterFilter, assertReplayOptions, DEAD_LETTER_LIST_KEYS, type DeadLetterApi } from "@mq/core";

/**
 * A custom backend's dead-letter API behind the checks the embedded engine
 * makes, so a mistyped filter (`purge({ queu: "orders" })`) is refused on
 * every backend instead of selecting every dead letter.
 */
export function checkedDeadLetters(api: () => DeadLetterApi): DeadLetterApi {
  // The executor's throw becomes the rejection: these calls never throw.
  const checked = <T>(check: () => void, run: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve) => {
      check();
      resolve(run());
    });
  return {
    list: (options) => checked(() => assertDeadLetterFilter("deadLetters.list", options, DEAD_LETTER_LIST_KEYS), () => api().list(options)),
    get: (id) => api().get(id),
    count: (filter) => checked(() => assertDeadLetterFilter("deadLetters.count", filter), () => api().count(filter)),
    replay: (target, options) =>
      checked(
        () => {
          if (typeof target !== "string") assertDeadLetterFilter("deadLetters.replay", target);
          assertReplayOptions("deadLetters.replay", options);
        },
        () => api().replay(target, options),
      ),
    purge: (filter) => checked(() => assertDeadLetterFilter("deadLetters.purge", filter), () => api().purge(filter)),
  };
}
