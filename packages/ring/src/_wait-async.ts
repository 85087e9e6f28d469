import { AbortedError } from "./errors/aborted-error";

const MAX_TIMER_MS = 2 ** 31 - 1;

type WaitAsyncResult = { async: false; value: "not-equal" | "timed-out" } | { async: true; value: Promise<"ok" | "timed-out"> };
type WaitAsync = (array: Int32Array, index: number, value: number, timeoutMs?: number) => WaitAsyncResult;

/**
 * Waits without blocking the event loop until `array[index]` is notified or no
 * longer holds `expected`, `timeoutMs` passes (a ref'd timer keeps the process
 * alive meanwhile, which a pending `Atomics.waitAsync` alone does not), or
 * `signal` aborts, which rejects with {@link AbortedError}.
 */
export async function waitAsync(array: Int32Array, index: number, expected: number, timeoutMs: number, signal: AbortSignal | undefined, operation: string): Promise<void> {
  // Looked up per call: lib.es2023 does not type it, and Node 20 always has it.
  const wait = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
  const result = wait(array, index, expected, Number.isFinite(timeoutMs) ? timeoutMs : undefined);
  if (!result.async) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      result.value.then(() => resolve(), reject);
      // Clamped: setTimeout fires at once for delays over 2^31 - 1 ms; the caller
      // re-arms until its own deadline passes.
      if (Number.isFinite(timeoutMs)) timer = setTimeout(resolve, Math.min(timeoutMs, MAX_TIMER_MS));
      if (signal !== undefined) {
        onAbort = () => {
          // The abandoned waitAsync stays registered until notified; wake everyone
          // on this word once so it does not linger (others just re-check).
          Atomics.notify(array, index);
          reject(new AbortedError(operation, signal.reason));
        };
        signal.addEventListener("abort", onAbort, { once: true });
      }
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
  }
}
