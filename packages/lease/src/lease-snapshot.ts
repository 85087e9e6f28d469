import { InvalidArgumentError } from "@mq/core";
import { tokenId } from "./token";

/** One live lease in a {@link LeaseSnapshot}. */
export interface LeaseSnapshotLease {
  readonly id: string;
  /** The fencing token, still current after `restore()`. */
  readonly token: string;
  /** When the lease ends, wall-clock epoch ms. */
  readonly deadline: number;
}

/** One scheduled timer in a {@link LeaseSnapshot}. */
export interface LeaseSnapshotSchedule {
  readonly id: string;
  /** When it is due, wall-clock epoch ms. */
  readonly at: number;
}

/**
 * Plain data describing every lease and schedule, with wall-clock deadlines,
 * each list in firing order. Safe to JSON- or msgpack-encode.
 */
export interface LeaseSnapshot {
  readonly version: 1;
  /** Wall-clock epoch ms when the snapshot was taken. */
  readonly takenAt: number;
  readonly leases: readonly LeaseSnapshotLease[];
  readonly schedules: readonly LeaseSnapshotSchedule[];
}

/** Throws `InvalidArgumentError` unless `value` is a well-formed {@link LeaseSnapshot}. */
export function assertSnapshot(value: unknown): asserts value is LeaseSnapshot {
  const fail = (problem: string): never => {
    throw new InvalidArgumentError("lease", "snapshot", problem);
  };
  if (typeof value !== "object" || value === null) fail("expected an object from snapshot()");
  const s = value as Record<string, unknown>;
  if (s.version !== 1) fail(`unsupported version ${String(s.version)}; expected 1`);
  if (!Array.isArray(s.leases)) fail("leases: expected an array");
  if (!Array.isArray(s.schedules)) fail("schedules: expected an array");
  const leaseIds = new Set<string>();
  (s.leases as unknown[]).forEach((entry, i) => {
    const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof e.id !== "string") fail(`leases[${i}].id: expected a string`);
    if (typeof e.token !== "string" || tokenId(e.token) !== e.id) fail(`leases[${i}].token: not a token for id ${JSON.stringify(e.id)}`);
    // Only finite: a lease of up to 2^53 ms legitimately ends past the last Date.
    if (!Number.isFinite(e.deadline)) fail(`leases[${i}].deadline: expected a finite epoch ms`);
    if (leaseIds.has(e.id as string)) fail(`leases[${i}].id: duplicate id ${JSON.stringify(e.id)}`);
    leaseIds.add(e.id as string);
  });
  const scheduleIds = new Set<string>();
  (s.schedules as unknown[]).forEach((entry, i) => {
    const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof e.id !== "string") fail(`schedules[${i}].id: expected a string`);
    if (!Number.isFinite(e.at)) fail(`schedules[${i}].at: expected a finite epoch ms`);
    if (scheduleIds.has(e.id as string)) fail(`schedules[${i}].id: duplicate id ${JSON.stringify(e.id)}`);
    scheduleIds.add(e.id as string);
  });
}

/** Largest |epoch ms| a `Date` can hold. */
export const MAX_WALL_MS = 8.64e15;

/** True for a number usable as a wall-clock time. */
export function isWallTime(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= MAX_WALL_MS;
}
