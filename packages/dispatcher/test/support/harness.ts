import type { ManualClock } from "@mq/core/testing";
import { createManualClock } from "@mq/core/testing";
import { createDispatcher } from "../../src/dispatcher";
import type { Dispatcher, DispatcherOptions } from "../../src/types";
import { MemoryBackend } from "./memory-backend";

/** Lets every pending promise chain run (the memory backend does no real I/O). */
export async function flush(rounds = 2): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Moves a manual clock forward in steps, letting promise chains run between steps. */
export async function advance(clock: ManualClock, ms: number, stepMs = 10): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    await flush();
  }
}

/** Polls `condition` on real time (tests only). */
export async function waitFor(condition: () => boolean, what = "condition", timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A memory backend and a dispatcher sharing a manual clock, both started. */
export async function manualSetup(options: Omit<DispatcherOptions, "clock"> = {}): Promise<{ clock: ManualClock; backend: MemoryBackend; dispatcher: Dispatcher }> {
  const clock = createManualClock();
  const backend = new MemoryBackend({ clock });
  await backend.open();
  const dispatcher = createDispatcher(backend, { ...options, clock });
  dispatcher.start();
  return { clock, backend, dispatcher };
}

/** A memory backend and a dispatcher on real time, both started. */
export async function realSetup(options: DispatcherOptions = {}): Promise<{ backend: MemoryBackend; dispatcher: Dispatcher }> {
  const backend = new MemoryBackend();
  await backend.open();
  const dispatcher = createDispatcher(backend, options);
  dispatcher.start();
  return { backend, dispatcher };
}

/** Enqueues `count` messages with payload `{ n }` into `queue`. */
export async function fill(backend: MemoryBackend, queue: string, count: number): Promise<string[]> {
  const results = await backend.enqueue(Array.from({ length: count }, (_, n) => ({ queue, payload: { n } })));
  return results.map((r) => r.id);
}
