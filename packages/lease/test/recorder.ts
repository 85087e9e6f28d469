import { createManualClock } from "@mq/core/testing";
import type { ManualClock } from "@mq/core/testing";
import { LeaseManager } from "../src/index";
import type { LeaseManagerOptions } from "../src/index";

/** One callback the manager made, with the monotonic time it was made at. */
export interface Fired {
  kind: "expire" | "due";
  id: string;
  token?: string;
  at: number;
}

/** A manager on a manual clock that records every callback in order. */
export function recordingManager(overrides: Partial<LeaseManagerOptions> = {}, clock: ManualClock = createManualClock()): {
  manager: LeaseManager;
  clock: ManualClock;
  fired: Fired[];
} {
  const fired: Fired[] = [];
  const manager = new LeaseManager({
    clock,
    onExpire: (id, token) => fired.push({ kind: "expire", id, token, at: clock.monotonic() }),
    onDue: (id) => fired.push({ kind: "due", id, at: clock.monotonic() }),
    ...overrides,
  });
  return { manager, clock, fired };
}

export const DAY = 24 * 60 * 60 * 1000;
