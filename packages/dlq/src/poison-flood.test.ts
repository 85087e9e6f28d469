import { expect, it } from "vitest";
import type { DeadLetter } from "@mq/core";
import { makeLetter } from "../test/make-letter";
import { DeadLetterStore } from "./dead-letter-store";

it("stays at maxEntries through a flood of 1,000,000 poison messages, counting every drop", () => {
  const store = new DeadLetterStore({ maxEntries: 10_000 });
  let emitted = 0;
  let lastDropped: DeadLetter | undefined;
  store.events.on("overflow", (letter) => {
    emitted++;
    lastDropped = letter;
  });
  const template = makeLetter("template", { queue: "flood", reason: "poison" });
  for (let i = 0; i < 1_000_000; i++) {
    store.add({ ...template, message: { ...template.message, id: `p${i}` } });
    if (store.size > 10_000) throw new Error(`size ${store.size} after add ${i}`);
  }
  expect(store.size).toBe(10_000);
  expect(store.droppedCount).toBe(990_000);
  expect(emitted).toBe(990_000);
  expect(lastDropped?.message.id).toBe("p989999");
  expect(store.count({ queue: "flood" })).toBe(10_000);
  expect(store.count({ reason: "poison" })).toBe(10_000);
  const page = store.list({ limit: 2 });
  expect(page.items.map((l) => l.message.id)).toEqual(["p990000", "p990001"]);
  // The internal order array is compacted as it goes: a snapshot holds exactly the live entries.
  expect(store.snapshot().seqs).toHaveLength(10_000);
});
