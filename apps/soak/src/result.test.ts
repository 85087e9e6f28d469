import { describe, expect, it } from "vitest";
import { cleanHistory, fakeResult, fakeRun, history } from "../test/fixtures";

describe("buildResult", () => {
  it("passes a clean history with every chaos feature exercised", () => {
    const r = fakeResult(cleanHistory(), { tornEvery: 5, crashPoison: true, sigstops: 1, minKills: 3 });
    expect(r.reasons).toEqual([]);
    expect(r.verdict).toBe("pass");
    expect(r.kills).toEqual({ total: 3, sigkill: 2, self: 1, sigterm: 0, sigstops: 1 });
    expect(r.torn).toMatchObject({ appended: 1, truncated: 1 });
    expect(r.recoveryMs).toMatchObject({ n: 4, min: 23, max: 32 });
    expect(r.messages.poison).toEqual({ enqueued: 1, deadLettered: 1, maxDeliveries: 1, problems: [] });
  });

  it("fails on a lost message, naming the class", () => {
    // Drop the ack of A and B: both were acknowledged enqueues that never reached a terminal state.
    const events = cleanHistory().filter((e) => !(e.k === "ack.ok" || e.k === "ack.invoke"));
    const r = fakeResult(events);
    expect(r.verdict).toBe("fail");
    expect(r.checker.valid).toBe(false);
    expect(r.checker.counts.lost).toBe(2);
    expect(r.reasons[0]).toMatch(/^lost: 2/);
  });

  it("fails on a phantom delivery", () => {
    const events = [...cleanHistory().slice(0, -1), ...history([{ k: "recv.invoke", rop: "rx", consumer: "c2", queue: "jobs" }, { k: "recv.ok", rop: "rx", d: [{ id: "Z", tok: "never-enqueued", version: 1, attempt: 1, receipt: "rz", leaseMs: 2_000 }] }]), cleanHistory().at(-1)!];
    const r = fakeResult(events.map((e, i) => ({ ...e, t: BigInt(i + 1) * 1_000_000n })));
    expect(r.verdict).toBe("fail");
    expect(r.checker.counts.phantom).toBeGreaterThan(0);
  });

  it("fails when a torn tail was not truncated, and when crash-poison missed the DLQ", () => {
    const run = fakeRun();
    const torn = [{ ...run.torn[0]!, truncated: false }];
    const noPoisonInDlq = cleanHistory().map((e) => (e.k === "final" ? { ...e, dlq: [] } : e));
    const r = fakeResult(noPoisonInDlq, {}, { ...run, torn });
    expect(r.verdict).toBe("fail");
    expect(r.reasons.some((x) => x.startsWith("torn tail"))).toBe(true);
    expect(r.reasons.some((x) => x.includes("crash-poison P is not in the dead-letter queue"))).toBe(true);
  });

  it("is inconclusive with too few kills", () => {
    const r = fakeResult(cleanHistory(), { minKills: 25 });
    expect(r.verdict).toBe("inconclusive");
    expect(r.reasons).toEqual(["only 3 SIGKILLs, the mode needs at least 25"]);
  });

  it("fails M1 when the heap grows within generations faster than the limit", () => {
    const run = fakeRun();
    // 10 MB per simulated hour, with a reset at every generation.
    const mem = [1, 2].flatMap((gen) => [0, 1, 2, 3, 4].map((i) => ({ gen, atMs: run.chaosMs / 2 + (gen * 5 + i) * 360_000, heapUsed: 20e6 + i * 1e6, rss: 50e6 })));
    const r = fakeResult(cleanHistory(), { memCheck: true, memSlopeMaxMbPerHour: 2 }, { ...run, mem });
    expect(r.memory?.slopeMbPerHour).toBeCloseTo(10, 5);
    expect(r.verdict).toBe("fail");
    expect(r.reasons.some((x) => x.startsWith("M1: heap grows"))).toBe(true);
  });
});
