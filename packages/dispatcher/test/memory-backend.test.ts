// The test double must itself behave like a backend, or the dispatcher's tests prove nothing.
import { LeaseLostError } from "@mq/core";
import { createManualClock, runBackendConformance } from "@mq/core/testing";
import { describe, expect, it } from "vitest";
import { MemoryBackend } from "./support/memory-backend";

// The same suite every backend runs: on a manual clock, and once in real time (the fallback path).
runBackendConformance("dispatcher test double, manual clock", async () => {
  const clock = createManualClock();
  const backend = new MemoryBackend({ clock });
  await backend.open();
  return { backend, clock };
});

runBackendConformance("dispatcher test double, real time", async () => {
  const backend = new MemoryBackend();
  await backend.open();
  return { backend };
});

async function setup() {
  const clock = createManualClock();
  const backend = new MemoryBackend({ clock });
  await backend.open();
  return { clock, backend };
}

describe("MemoryBackend (test double)", () => {
  it("counts attempts at receive and fences a receipt after its lease expires", async () => {
    const { clock, backend } = await setup();
    await backend.enqueue([{ queue: "q", payload: 1 }]);
    const [first] = await backend.receive("q", { max: 10, leaseMs: 100 });
    expect(first).toMatchObject({ attempt: 1, message: { attempts: 1 } });
    clock.advance(100);
    const [second] = await backend.receive("q", { max: 10, leaseMs: 100 });
    expect(second?.attempt).toBe(2);
    await expect(backend.ack([first!.receipt])).rejects.toBeInstanceOf(LeaseLostError);
    await expect(backend.extend(first!.receipt, 100)).rejects.toBeInstanceOf(LeaseLostError);
    await backend.ack([second!.receipt]);
    expect(backend.acked).toEqual([second!.message.id]);
  });

  it("applies ack and publish all-or-nothing", async () => {
    const { backend } = await setup();
    await backend.enqueue([{ queue: "q", payload: 1 }]);
    const [d] = await backend.receive("q", { max: 1, leaseMs: 1_000 });
    await expect(backend.ack([d!.receipt], [{ queue: "ok", payload: 1 }, { queue: "", payload: 2 }])).rejects.toThrow();
    expect(backend.pending("ok")).toEqual([]);
    expect(backend.acked).toEqual([]);
    await backend.ack([d!.receipt], [{ queue: "ok", payload: 1 }]);
    expect(backend.pending("ok")).toHaveLength(1);
  });

  it("delivers by priority, then FIFO, and delays retries", async () => {
    const { clock, backend } = await setup();
    await backend.enqueue([
      { queue: "q", payload: "a" },
      { queue: "q", payload: "b", priority: 5 },
      { queue: "q", payload: "c" },
    ]);
    const batch = await backend.receive("q", { max: 3, leaseMs: 1_000 });
    expect(batch.map((d) => d.message.payload)).toEqual(["b", "a", "c"]);
    await backend.nack(batch[0]!.receipt, { delayMs: 500 });
    expect(await backend.receive("q", { max: 1, leaseMs: 1_000 })).toEqual([]);
    clock.advance(500);
    expect((await backend.receive("q", { max: 1, leaseMs: 1_000 }))[0]?.message.payload).toBe("b");
  });

  it("dead-letters on nack once attempts reach maxAttempts", async () => {
    const { backend } = await setup();
    await backend.configureQueue("q", { maxAttempts: 2 });
    const [r] = await backend.enqueue([{ queue: "q", payload: 1 }]);
    const [d1] = await backend.receive("q", { max: 1, leaseMs: 1_000 });
    expect((await backend.nack(d1!.receipt)).action).toBe("retried");
    const [d2] = await backend.receive("q", { max: 1, leaseMs: 1_000 });
    const outcome = await backend.nack(d2!.receipt, { reason: { name: "Error", message: "x" } });
    expect(outcome).toMatchObject({ action: "dead-lettered", attempts: 2 });
    expect(await backend.deadLetters.get(r!.id)).toMatchObject({ reason: "max-retries", error: { message: "x" } });
  });
});
