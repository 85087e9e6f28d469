import type { HandlerContext } from "./types";

/**
 * Wraps every handler invocation of a dispatcher (tracing, metrics, log
 * context). Call `next()` once and return (or await) what it returns; pass a
 * replacement `ctx` to `next` to change what the handler sees (for example a
 * `publish` that adds headers). A throw or rejection fails the attempt like a
 * handler's own.
 */
export type HandlerMiddleware = (ctx: HandlerContext<unknown>, next: (ctx?: HandlerContext<unknown>) => Promise<unknown>) => unknown;

/** Runs `call` through `chain` (outermost first). */
export function runMiddleware(
  chain: readonly HandlerMiddleware[],
  ctx: HandlerContext<unknown>,
  call: (ctx: HandlerContext<unknown>) => Promise<unknown>,
): Promise<unknown> {
  const step = (i: number, current: HandlerContext<unknown>): Promise<unknown> => {
    const middleware = chain[i];
    if (middleware === undefined) return call(current);
    return Promise.resolve().then(() => middleware(current, (next = current) => step(i + 1, next)));
  };
  return step(0, ctx);
}
