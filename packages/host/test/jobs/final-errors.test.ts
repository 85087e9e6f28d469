import { createManualClock } from "@mq/core/testing";
import { createMemoryPersistence, createMemoryStore } from "@mq/journal/memory";
import { afterEach, describe, expect, it } from "vitest";
import { createQueueHost, MQ_ERROR_CODES, UnrecoverableError } from "../../src/index";
import type { QueueHost } from "../../src/queue-host";
import { memoryHost, until } from "../support";

const hosts: QueueHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop().catch(() => undefined);
});

async function started(host: QueueHost): Promise<QueueHost> {
  hosts.push(host);
  await host.start();
  return host;
}

describe("final errors", () => {
  it("dead-letters at once when a handler throws UnrecoverableError, with the reason", async () => {
    const { host } = memoryHost();
    await started(host);
    let calls = 0;
    host.handle("q", () => {
      calls++;
      throw new UnrecoverableError("card rejected for good");
    }, { maxRetries: 10, backoff: 0 });
    const { id } = await host.enqueue("q", { order: 1 });
    await until(async () => (await host.deadLetters.list()).items.length === 1);
    const [letter] = (await host.deadLetters.list()).items;
    expect(calls).toBe(1);
    expect(letter).toMatchObject({ reason: "rejected", error: { code: MQ_ERROR_CODES.UNRECOVERABLE, message: "card rejected for good" } });
    expect(letter!.message.id).toBe(id);
    expect(host.workers("q")[0]).toMatchObject({ deadLettered: 1, retried: 0 });
  });

  it("dead-letters when the handler calls ctx.deadLetter, even if it swallows the throw", async () => {
    const { host } = memoryHost();
    await started(host);
    host.handle("q", (_payload, ctx) => {
      try {
        ctx.deadLetter("no such account");
      } catch {
        // swallowed on purpose: the verdict stands
      }
      return "ignored";
    });
    await host.enqueue("q", 1);
    await until(async () => (await host.deadLetters.list()).items.length === 1);
    expect((await host.deadLetters.list()).items[0]).toMatchObject({ reason: "rejected", error: { message: "no such account" } });
    expect((await host.stats("q")).totals.acked).toBe(0);
  });

  it("uses a message's own maxAttempts over the queue's, and keeps it across a crash and a snapshot", async () => {
    const store = createMemoryStore();
    const clock = createManualClock();
    const journal = createMemoryPersistence({ store });
    const host = await started(createQueueHost({ persistence: journal, clock, defaults: { maxAttempts: 10 } }));
    const { id } = await host.enqueue("q", "twice", { maxAttempts: 2 });
    await host.enqueue("q", "queue limit");
    const [first] = await host.receive("q", { leaseMs: 1_000 });
    expect(first!.message).toMatchObject({ id, maxAttempts: 2 });
    expect(await host.nack(first!.receipt)).toMatchObject({ action: "retried", attempts: 1 });
    await journal.snapshot();
    store.crash();
    hosts.pop();

    const again = await started(createQueueHost({ persistence: createMemoryPersistence({ store }), clock, defaults: { maxAttempts: 10 } }));
    // The retried message went behind the other one.
    const [other, d] = await again.receive("q", { max: 2, leaseMs: 1_000 });
    expect(d!.message).toMatchObject({ id, maxAttempts: 2, attempts: 2 });
    expect(await again.nack(d!.receipt)).toMatchObject({ action: "dead-lettered", attempts: 2 });
    expect(other!.message.maxAttempts).toBeUndefined();
    expect(await again.nack(other!.receipt)).toMatchObject({ action: "retried" });
  });

  it("lets the message's maxAttempts bound a dispatcher handler's retries", async () => {
    const { host } = memoryHost();
    await started(host);
    let calls = 0;
    host.handle("q", () => {
      calls++;
      throw new Error("flaky");
    }, { maxRetries: 10, backoff: 0 });
    await host.enqueue("q", 1, { maxAttempts: 3 });
    await until(async () => (await host.deadLetters.list()).items.length === 1);
    expect(calls).toBe(3);
    expect((await host.deadLetters.list()).items[0]!.reason).toBe("max-retries");
  });

  it("rejects a bad maxAttempts or backoff with a message that says what to give", async () => {
    const { host } = memoryHost();
    await started(host);
    await expect(host.enqueue("q", 1, { maxAttempts: 0 })).rejects.toMatchObject({ code: MQ_ERROR_CODES.INVALID_ARGUMENT });
    for (const backoff of [-1, { type: "linear", baseMs: 1 }, { type: "fixed", baseMs: 10, maxMs: 5 }, { type: "fixed", baseMs: 1, extra: 1 }]) {
      await expect(host.enqueue("q", 1, { backoff: backoff as never })).rejects.toMatchObject({ code: MQ_ERROR_CODES.INVALID_ARGUMENT });
    }
  });

  it("uses a message's own backoff over the handler's, kept across a crash over a snapshot", async () => {
    const store = createMemoryStore();
    const clock = createManualClock();
    const journal = createMemoryPersistence({ store });
    const host = await started(createQueueHost({ persistence: journal, clock }));
    const { id } = await host.enqueue("q", "slow retry", { backoff: { type: "fixed", baseMs: 5_000 }, maxAttempts: 9 });
    await journal.snapshot();
    store.crash();
    hosts.pop();
    const again = await started(createQueueHost({ persistence: createMemoryPersistence({ store }), clock }));
    let calls = 0;
    again.handle("q", () => {
      calls++;
      throw new Error("try later");
    }, { backoff: 0 });
    clock.advance(0);
    await until(async () => (await again.getMessage("q", id)).state === "delayed");
    const info = await again.getMessage("q", id);
    expect(info.message).toMatchObject({ backoff: { type: "fixed", baseMs: 5_000 }, maxAttempts: 9 });
    expect(info.availableAt).toBe(clock.now() + 5_000);
    expect(calls).toBe(1);
  });
});
