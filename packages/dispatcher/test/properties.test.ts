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

  it("never starts a handler beyond the current parallelism while scaled, paused and resumed at random", async () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant("scale" as const), n: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ kind: fc.constantFrom("pause" as const, "resume" as const) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), action), { maxLength: 12 }),
        fc.integer({ min: 0, max: 4 }),
        async (count, actions, prefetch) => {
          const { clock, backend, dispatcher } = await manualSetup();
          const violations: string[] = [];
          let started = 0;
          // Checked when the dispatcher starts an invocation (the body runs a microtask later,
          // by when a scale-down may already have happened, which running handlers survive).
          dispatcher.events.on("started", () => {
            started++;
            const s = dispatcher.stats("q")[0]!;
            if (s.paused) violations.push("started while paused");
            if (s.running > s.parallelism) violations.push(`running ${s.running} > ${s.parallelism}`);
          });
          dispatcher.handle(
            "q",
            async () => {
              await new Promise<void>((resolve) => clock.setTimeout(resolve, 7));
            },
            { maxParallelism: 3, minParallelism: 1, prefetch },
          );
          await backend.enqueue(Array.from({ length: count }, (_, n) => ({ queue: "q", payload: n })));
          const byStep = [...actions].sort((a, b) => a[0] - b[0]);
          for (let step = 0, i = 0; step <= 100; step++) {
            for (; i < byStep.length && byStep[i]![0] === step; i++) {
              const act = byStep[i]![1];
              if (act.kind === "scale") dispatcher.scale("q", act.n);
              else if (act.kind === "pause") dispatcher.pause("q");
              else dispatcher.resume("q");
            }
            await advance(clock, 3, 3);
          }
          dispatcher.resume("q");
          await advance(clock, 2_000, 10);
          expect(violations).toEqual([]);
          expect(new Set(backend.acked).size).toBe(count);
          expect(backend.acked).toHaveLength(count);
          expect(started).toBeGreaterThanOrEqual(count);
          await dispatcher.stop({ drainTimeoutMs: 0 });
        },
      ),
      { numRuns: 40 },
    );
  });
});
