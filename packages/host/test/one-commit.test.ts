import { createMemoryPersistence } from "@mq/journal/memory";
import { describe, expect, it } from "vitest";
import { createQueueHost } from "../src/index";

describe("enqueue meets a waiting handler", () => {
  it("appends the lease in the same tick as the create, so both share one group commit", async () => {
    const persistence = createMemoryPersistence();
    // Records appends as a group-committing journal sees them: its round starts in a microtask queued
    // at the first append of a tick, and what is appended after that waits for the next round.
    const appended: string[] = [];
    let roundOpen = false;
    const append = persistence.append.bind(persistence);
    persistence.append = (ops) => {
      if (!roundOpen) {
        roundOpen = true;
        queueMicrotask(() => {
          roundOpen = false;
          appended.push("| round starts");
        });
      }
      for (const op of ops) appended.push((op as unknown[])[0] as string);
      return append(ops);
    };
    const host = createQueueHost({ persistence });
    const started: unknown[] = [];
    host.handle("q", (payload) => {
      started.push(payload);
    });
    await host.start();
    // Let the idle handler settle into waiting for work.
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 20; i++) {
      appended.length = 0;
      const enqueued = host.enqueue("q", i);
      // A journal's group commit starts no earlier than the end of this tick and its microtasks:
      // everything appended before setImmediate fires is in the same round.
      const sameTick = await new Promise<string[]>((resolve) => setImmediate(() => resolve(appended.slice())));
      expect(sameTick.slice(0, 3)).toEqual(["create", "lease", "| round starts"]);
      await enqueued;
      await expect.poll(() => started.length).toBe(i + 1);
      await new Promise((r) => setTimeout(r, 5));
    }
    await host.stop();
  });
});
