import { expect, it } from "vitest";
import { DedupIndex } from "./dedup-index";

const T0 = 1_700_000_000_000;

// Growth is bounded by accept's own sweeping: no timer, no explicit sweep().
it("2,000,000 drop-mode keys with a small window keep size bounded", () => {
  const index = new DedupIndex();
  const windowMs = 50;
  const keysPerMs = 20; // so at most windowMs * keysPerMs keys are inside the window
  let maxSize = 0;
  let duplicates = 0;
  for (let i = 0; i < 2_000_000; i++) {
    const now = T0 + Math.floor(i / keysPerMs);
    const key = `q\u0000k${i}`;
    const d = index.decide(key, { mode: "drop", windowMs, now });
    if (d.action === "duplicate") duplicates++;
    index.accept(key, { messageId: `m${i}`, version: d.version, mode: "drop", windowMs, now });
    if (index.size > maxSize) maxSize = index.size;
  }
  expect(duplicates).toBe(0);
  expect(maxSize).toBeLessThanOrEqual(windowMs * keysPerMs + keysPerMs);
  expect(maxSize).toBeGreaterThanOrEqual(windowMs * keysPerMs); // the window really held that many
  const left = index.size;
  expect(index.sweep(T0 + 10_000_000)).toBe(left);
  expect(index.size).toBe(0);
});

it("a key re-sent inside the window stays a duplicate while other keys churn", () => {
  const index = new DedupIndex();
  const windowMs = 1_000;
  index.accept("hot", { messageId: "h", version: 1, mode: "drop", windowMs, now: T0 });
  for (let i = 0; i < 100_000; i++) {
    const now = T0 + Math.floor(i / 200);
    index.accept(`k${i}`, { messageId: `m${i}`, version: 1, mode: "drop", windowMs: 10, now });
  }
  expect(index.decide("hot", { mode: "drop", windowMs, now: T0 + 499 })).toEqual({ action: "duplicate", messageId: "h", version: 1 });
  expect(index.size).toBeLessThanOrEqual(10 * 200 + 200 + 1);
});

it("replace-mode entries are bounded by releases", () => {
  const index = new DedupIndex();
  for (let i = 0; i < 200_000; i++) {
    const key = `k${i % 1000}`;
    const d = index.decide(key, { mode: "replace", windowMs: 0, now: T0 + i });
    const id = d.messageId ?? `m${i}`;
    index.accept(key, { messageId: id, version: d.version, mode: "replace", now: T0 + i });
    index.markInFlight(key, id);
    index.release(key, id, T0 + i);
  }
  expect(index.size).toBe(0);
});
