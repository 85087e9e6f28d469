import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LeaseLostError } from "@mq/core";
import { createManualClock } from "@mq/core/testing";
import { LeaseManager } from "./lease-manager";
import { DAY } from "../test/recorder";

// L1 (reliability-anchors §5): random acquire/extend/release/schedule/advance/jumpWall
// sequences against a reference model. Each lease fires exactly once, never
// before its monotonic deadline; stale tokens are rejected.

type Op =
  | { op: "acquire"; id: number; ms: number }
  | { op: "extend"; pick: number; ms: number }
  | { op: "release"; pick: number }
  | { op: "schedule"; id: number; offset: number }
  | { op: "unschedule"; id: number }
  | { op: "advance"; ms: number }
  | { op: "jumpWall"; ms: number };

const IDS = ["a", "b", "c.d", "", "e.1.2", "f"];
const duration = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 3 * DAY }), fc.integer({ min: 0, max: 40 * DAY }));
const id = fc.nat({ max: IDS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("acquire" as const), id, ms: duration }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("extend" as const), pick: fc.nat(), ms: duration }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("release" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("schedule" as const), id, offset: fc.integer({ min: -2 * DAY, max: 40 * DAY }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("unschedule" as const), id }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("advance" as const), ms: duration }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("jumpWall" as const), ms: fc.integer({ min: -30 * DAY, max: 30 * DAY }) }) },
);

function run(ops: Op[]): void {
  const clock = createManualClock();
  const leases = new Map<string, { token: string; deadline: number }>();
  const schedules = new Map<string, number>();
  const tokens: string[] = [];
  const violations: string[] = [];
  const check = (ok: boolean, message: string): void => {
    if (!ok) violations.push(message);
  };
  const issued = new Set<string>();
  let firedDeadlines: number[] = [];

  const manager = new LeaseManager({
    clock,
    onExpire: (leaseId, token) => {
      const lease = leases.get(leaseId);
      if (lease?.token !== token) violations.push(`unexpected expiry ${token}`);
      else if (lease.deadline > clock.monotonic()) violations.push(`${token} fired at ${clock.monotonic()}, before ${lease.deadline}`);
      if (lease !== undefined) firedDeadlines.push(lease.deadline);
      leases.delete(leaseId);
    },
    onDue: (scheduleId) => {
      const deadline = schedules.get(scheduleId);
      if (deadline === undefined) violations.push(`unexpected due ${scheduleId}`);
      else if (deadline > clock.monotonic()) violations.push(`${scheduleId} due at ${clock.monotonic()}, before ${deadline}`);
      if (deadline !== undefined) firedDeadlines.push(deadline);
      schedules.delete(scheduleId);
    },
    onError: (error) => violations.push(`callback threw ${String(error)}`),
  });

  const isModelCurrent = (token: string): boolean => {
    const leaseId = manager.idOf(token);
    return leaseId !== undefined && leases.get(leaseId)?.token === token;
  };

  for (const o of ops) {
    switch (o.op) {
      case "acquire": {
        const token = manager.acquire(IDS[o.id]!, o.ms);
        check(!issued.has(token), `token ${token} issued twice`);
        issued.add(token);
        tokens.push(token);
        leases.set(IDS[o.id]!, { token, deadline: clock.monotonic() + o.ms });
        break;
      }
      case "extend":
      case "release": {
        if (tokens.length === 0) break;
        const token = tokens[o.pick % tokens.length]!;
        const current = isModelCurrent(token);
        check(manager.isCurrent(token) === current, `isCurrent(${token}) should be ${current}`);
        let result: string | undefined;
        try {
          result = o.op === "extend" ? (manager.extend(token, o.ms), "") : manager.release(token);
        } catch (error) {
          check(!current && error instanceof LeaseLostError, `${o.op}(${token}) threw ${String(error)}`);
          break;
        }
        check(current, `${o.op}(${token}) accepted a stale token`);
        const leaseId = manager.idOf(token)!;
        if (o.op === "extend") leases.get(leaseId)!.deadline = clock.monotonic() + o.ms;
        else {
          check(result === leaseId, `release returned ${result}`);
          leases.delete(leaseId);
        }
        break;
      }
      case "schedule":
        manager.schedule(IDS[o.id]!, clock.now() + o.offset);
        schedules.set(IDS[o.id]!, clock.monotonic() + o.offset);
        break;
      case "unschedule":
        check(manager.unschedule(IDS[o.id]!) === schedules.delete(IDS[o.id]!), "unschedule result");
        break;
      case "advance": {
        firedDeadlines = [];
        clock.advance(o.ms);
        // Nothing due is left behind, and the batch came out in deadline order.
        for (const [leaseId, l] of leases) if (l.deadline <= clock.monotonic()) violations.push(`lease ${leaseId} overdue`);
        for (const [scheduleId, d] of schedules) if (d <= clock.monotonic()) violations.push(`schedule ${scheduleId} overdue`);
        if (firedDeadlines.some((d, i) => i > 0 && d < firedDeadlines[i - 1]!)) violations.push(`out of order: ${firedDeadlines.join(",")}`);
        break;
      }
      case "jumpWall":
        clock.jumpWall(o.ms);
        break;
    }
    check(manager.size === leases.size, "size");
    check(manager.scheduledCount === schedules.size, "scheduledCount");
    let next = Infinity;
    for (const [leaseId, l] of leases) {
      check(manager.tokenOf(leaseId) === l.token && manager.isCurrent(l.token), `current token of ${leaseId}`);
      check(manager.deadlineOf(leaseId) === l.deadline, `deadline of ${leaseId}`);
      next = Math.min(next, l.deadline);
    }
    for (const d of schedules.values()) next = Math.min(next, d);
    check(manager.nextDeadline === (next === Infinity ? undefined : next), "nextDeadline");
    check(clock.pendingTimers === (next === Infinity ? 0 : 1), `pendingTimers ${clock.pendingTimers}`);
    if (violations.length > 0) break;
  }

  // Everything left fires exactly once in the end; every token is now stale.
  clock.advance(100 * DAY);
  expect(violations).toEqual([]);
  expect(leases.size + schedules.size).toBe(0);
  expect(tokens.filter((t) => manager.isCurrent(t))).toEqual([]);
}

describe("L1: lease heap under clock jumps", () => {
  it("matches the reference model over 1,000 random sequences of up to 200 steps", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 200, size: "max" }), (ops) => run(ops)),
      { numRuns: 1000 },
    );
  });
});
