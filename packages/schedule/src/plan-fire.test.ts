import { describe, expect, it } from "vitest";
import type { EnqueueItem } from "@mq/core";
import { buildSchedule as build, type ScheduleOptionChecks } from "./build-schedule";
import { MISSED_AFTER_MS, planFire } from "./plan-fire";
import { toScheduleInfo } from "./schedule-record";

// The fire plan every backend executes: pure functions of the stored schedule and the backend's time.
const seen: EnqueueItem[] = [];
const checks: ScheduleOptionChecks = {
  optionKeys: new Set(["priority", "headers"]),
  validateItem: (item) => {
    seen.push(item);
    if (item.priority !== undefined && item.priority > 9) throw new Error("priority too high");
  },
};
const buildSchedule = (...args: [string, Parameters<typeof build>[1], string, number]): ReturnType<typeof build> => build(...args, checks);
const T0 = Date.UTC(2026, 2, 28, 12, 0, 0); // the day before Europe/Berlin moves its clocks forward

describe("schedule plan", () => {
  it("counts interval fires from startAt, so a late look never shifts later fires", () => {
    const record = buildSchedule("s", { everyMs: 1_000, queue: "q", payload: 1 }, "id1", T0);
    expect(record.nextFireAt).toBe(T0 + 1_000);
    const late = planFire(record, T0 + 3_500);
    expect(late.items.map((i) => i.headers!["mq-fire-at"])).toEqual([String(T0 + 3_000)]); // catchUp "latest"
    expect([late.last, late.next]).toEqual([T0 + 3_000, T0 + 4_000]);
  });

  it("applies catchUp all / none to missed fires", () => {
    const all = buildSchedule("a", { everyMs: 1_000, queue: "q", payload: 1, catchUp: "all" }, "id", T0);
    expect(planFire(all, T0 + 3_000).items).toHaveLength(3);
    const none = buildSchedule("n", { everyMs: 120_000, queue: "q", payload: 1, catchUp: "none" }, "id", T0);
    const missed = planFire(none, T0 + 120_000 + MISSED_AFTER_MS + 1);
    expect(missed.items).toHaveLength(0);
    expect(missed.next).toBe(T0 + 240_000); // skipped, not stuck
    expect(planFire(none, T0 + 120_010).items).toHaveLength(1);
  });

  it("steps a cron pattern in a named zone across a DST change", () => {
    const record = buildSchedule("b", { cron: "30 2 * * *", tz: "Europe/Berlin", queue: "q", payload: 1 }, "id", T0);
    // 02:30 does not exist in Berlin on 2026-03-29; croner moves that fire, and the next day is 02:30 CEST (00:30 UTC).
    const days: number[] = [record.nextFireAt];
    for (let i = 0; i < 2; i++) days.push(planFire({ ...record, nextFireAt: days.at(-1)! }, days.at(-1)!).next!);
    expect(new Date(days[2]!).toISOString()).toBe("2026-03-31T00:30:00.000Z");
    expect(days[1]! - days[0]!).toBeLessThanOrEqual(24 * 3_600_000);
  });

  it("rejects bad specs with InvalidArgumentError", () => {
    expect(() => buildSchedule("", { everyMs: 1, queue: "q", payload: 1 }, "id", T0)).toThrow(/name/);
    expect(() => buildSchedule("x", { everyMs: 0, queue: "q", payload: 1 }, "id", T0)).toThrow(/everyMs/);
    expect(() => buildSchedule("x", { cron: "61 * * * *", queue: "q", payload: 1 }, "id", T0)).toThrow(/cron/);
    expect(() => buildSchedule("x", { everyMs: 5, tz: "Europe/Berlin", queue: "q", payload: 1 }, "id", T0)).toThrow(/tz/);
  });

  it("checks options against the backend's rules and names the closest known option", () => {
    expect(() => buildSchedule("x", { everyMs: 5, queue: "q", payload: 1, options: { prio: 1 } as never }, "id", T0)).toThrow(
      '[mq:schedule] options.prio: is not a known option (did you mean "priority"?); known: priority, headers',
    );
    expect(() => buildSchedule("x", { everyMs: 5, queue: "q", payload: 1, options: { priority: 10 } }, "id", T0)).toThrow(/priority too high/);
    seen.length = 0;
    buildSchedule("x", { everyMs: 5, queue: "q", payload: 1, options: { priority: 3 } }, "id", T0);
    expect(seen).toEqual([{ priority: 3, queue: "q", payload: null }]);
  });

  it("reports a record as ScheduleInfo with its fire state", () => {
    const record = buildSchedule("i", { cron: "0 * * * *", queue: "q", payload: { a: 1 }, startAt: T0 }, "id", T0);
    // A cron schedule starting on its own fire time fires then.
    expect(toScheduleInfo({ ...record, lastFireAt: T0 - 3_600_000 })).toEqual({
      name: "i",
      cron: "0 * * * *",
      queue: "q",
      payload: { a: 1 },
      catchUp: "latest",
      startAt: T0,
      nextFireAt: T0,
      lastFireAt: T0 - 3_600_000,
    });
  });
});
