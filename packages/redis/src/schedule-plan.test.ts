import { describe, expect, it } from "vitest";
import { buildSchedule, MISSED_AFTER_MS, planFire } from "./schedule-plan";

// The fire plan the runner executes: pure functions of the stored schedule and Redis's time.
const T0 = Date.UTC(2026, 2, 28, 12, 0, 0); // the day before Europe/Berlin moves its clocks forward

describe("schedule plan", () => {
  it("counts interval fires from startAt, so a late look never shifts later fires", () => {
    const { record, nextFireAt } = buildSchedule("s", { everyMs: 1_000, queue: "q", payload: 1 }, "id1", T0);
    expect(nextFireAt).toBe(T0 + 1_000);
    const late = planFire(record, nextFireAt, T0 + 3_500);
    expect(late.items.map((i) => i.headers!["mq-fire-at"])).toEqual([String(T0 + 3_000)]); // catchUp "latest"
    expect([late.last, late.next]).toEqual([T0 + 3_000, T0 + 4_000]);
  });

  it("applies catchUp all / none to missed fires", () => {
    const all = buildSchedule("a", { everyMs: 1_000, queue: "q", payload: 1, catchUp: "all" }, "id", T0);
    expect(planFire(all.record, all.nextFireAt, T0 + 3_000).items).toHaveLength(3);
    const none = buildSchedule("n", { everyMs: 120_000, queue: "q", payload: 1, catchUp: "none" }, "id", T0);
    const missed = planFire(none.record, none.nextFireAt, T0 + 120_000 + MISSED_AFTER_MS + 1);
    expect(missed.items).toHaveLength(0);
    expect(missed.next).toBe(T0 + 240_000); // skipped, not stuck
    expect(planFire(none.record, none.nextFireAt, T0 + 120_010).items).toHaveLength(1);
  });

  it("steps a cron pattern in a named zone across a DST change", () => {
    const { record, nextFireAt } = buildSchedule("b", { cron: "30 2 * * *", tz: "Europe/Berlin", queue: "q", payload: 1 }, "id", T0);
    // 02:30 does not exist in Berlin on 2026-03-29; croner moves that fire, and the next day is 02:30 CEST (00:30 UTC).
    const days: number[] = [nextFireAt];
    for (let i = 0; i < 2; i++) days.push(planFire(record, days.at(-1)!, days.at(-1)!).next!);
    expect(new Date(days[2]!).toISOString()).toBe("2026-03-31T00:30:00.000Z");
    expect(days[1]! - days[0]!).toBeLessThanOrEqual(24 * 3_600_000);
  });

  it("rejects bad specs with InvalidArgumentError", () => {
    expect(() => buildSchedule("", { everyMs: 1, queue: "q", payload: 1 }, "id", T0)).toThrow(/name/);
    expect(() => buildSchedule("x", { everyMs: 0, queue: "q", payload: 1 }, "id", T0)).toThrow(/everyMs/);
    expect(() => buildSchedule("x", { cron: "61 * * * *", queue: "q", payload: 1 }, "id", T0)).toThrow(/cron/);
    expect(() => buildSchedule("x", { everyMs: 5, tz: "Europe/Berlin", queue: "q", payload: 1 }, "id", T0)).toThrow(/tz/);
  });
});
