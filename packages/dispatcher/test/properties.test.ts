// Property: whatever mix of handlers that succeed, throw, hang or run slowly,
// every message ends acked once or dead-lettered after exactly maxRetries + 1
// attempts, and running invocations never exceed maxParallelism.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HandlerContext } from "../src/types";
import { advance, manualSetup } from "./support/harness";

type Behaviour = "ok" | "throw" | "hang" | "slow";
const TIMEOUT_MS = 100;

describe("dispatcher properties", () => {
  it("settles every message exactly as its attempts dictate, within the parallelism bound", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.constantFrom<Behaviour>("ok", "throw", "hang", "slow"), { maxLength: 4 }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 4 }),
        async (plans, maxParallelism, maxRetries, prefetch) => {
          const { clock, backend, dispatcher } = await manualSetup();
          const attempts = new Map<number, number>();
          let maxRunning = 0;
          dispatcher.handle<{ n: number }>(
            "q",
            async (p, ctx: HandlerContext<{ n: number }>) => {
              attempts.set(p.n, ctx.attempt);
              // Slot holders, this one included (abandoned handlers hold none).
              maxRunning = Math.max(maxRunning, dispatcher.stats("q")[0]!.running);
              const behaviour = plans[p.n]![ctx.attempt - 1] ?? "ok";
              if (behaviour === "throw") throw new Error("planned");
              if (behaviour === "hang") await new Promise(() => undefined);
              if (behaviour === "slow") await new Promise<void>((resolve) => clock.setTimeout(resolve, TIMEOUT_MS / 2));
            },
            { maxParallelism, maxRetries, prefetch, timeoutMs: TIMEOUT_MS, backoff: 5, leaseMs: 1_000 },
          );
          const results = await backend.enqueue(plans.map((_, n) => ({ queue: "q", payload: { n } })));
          await advance(clock, 3_000, 10);

          const acked = new Set(backend.acked);
          expect(backend.acked.length).toBe(acked.size);
          for (const [n, plan] of plans.entries()) {
            const id = results[n]!.id;
            const firstSuccess = [...plan, "ok"].findIndex((b) => b === "ok" || b === "slow") + 1;
            if (firstSuccess <= maxRetries + 1) {
              expect(acked.has(id)).toBe(true);
              expect(attempts.get(n)).toBe(firstSuccess);
            } else {
              expect(acked.has(id)).toBe(false);
              expect((await backend.deadLetters.get(id))?.attemptTimestamps).toHaveLength(maxRetries + 1);
            }
          }
          const stats = dispatcher.stats("q")[0]!;
          expect(stats.running).toBe(0);
          expect(maxRunning).toBeLessThanOrEqual(maxParallelism);
          // Every attempt that hung (before the first success, within the attempt limit) is still abandoned.
          const hung = plans.map((plan) => {
            const tried = plan.slice(0, maxRetries + 1);
            const success = tried.findIndex((b) => b === "ok" || b === "slow");
            return (success === -1 ? tried : tried.slice(0, success)).filter((b) => b === "hang").length;
          });
          expect(stats.abandoned).toBe(hung.reduce((a, b) => a + b, 0));
          await dispatcher.stop({ drainTimeoutMs: 0 });
        },
      ),
      { numRuns: 40 },
    );
  });
});
