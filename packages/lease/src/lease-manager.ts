import { HostClosedError, InvalidArgumentError, LeaseLostError, MAX_TIMER_MS } from "@mq/core";
import type { TimerHandle } from "@mq/core";
import { DeadlineHeap, KIND_LEASE, KIND_SCHEDULE } from "./deadline-heap";
import type { LeaseSnapshot, LeaseSnapshotLease, LeaseSnapshotSchedule } from "./lease-snapshot";
import { assertSnapshot, isWallTime } from "./lease-snapshot";
import type { LeaseManagerOptions, ResolvedLeaseManagerOptions } from "./options";
import { resolveOptions } from "./options";
import { formatToken, tokenDot, tokenGeneration, tokenId } from "./token";

/** Longest lease accepted by `acquire()` and `extend()`: 2^53 ms, far beyond any real use. */
export const MAX_LEASE_MS = 2 ** 53;

/**
 * Leases with fencing tokens and scheduled timers on one min-heap, served by
 * one armed timer at the earliest deadline.
 *
 * Deadlines run on `clock.monotonic()`, so a wall-clock jump never fires a
 * lease early or loses it. The timer is never armed for more than
 * `MAX_TIMER_MS` (a longer `setTimeout` overflows and fires at once); when it
 * fires before the earliest deadline it is simply armed again.
 */
export class LeaseManager {
  /** The validated options, defaults filled in. */
  readonly options: ResolvedLeaseManagerOptions;

  readonly #clock: ResolvedLeaseManagerOptions["clock"];
  readonly #heap = new DeadlineHeap();
  /** id -> heap slot, one map per kind: a message may hold a lease and a schedule at once. */
  readonly #leases = new Map<string, number>();
  readonly #schedules = new Map<string, number>();
  /**
   * Next lease generation. It starts at a random point below 2^48 so that a
   * token from an earlier manager (say, before a restart) is not current in
   * this one by coincidence.
   */
  #generation = randomBelow(2 ** 48);
  #timer: TimerHandle;
  #armed = false;
  /** Monotonic time the armed timer was aimed at; an earlier deadline needs re-arming. */
  #armedFor = Infinity;
  #firing = false;
  #closed = false;

  constructor(options: LeaseManagerOptions) {
    this.options = resolveOptions(options);
    this.#clock = this.options.clock;
  }

  /** Live leases. */
  get size(): number {
    return this.#leases.size;
  }

  /** Pending scheduled timers. */
  get scheduledCount(): number {
    return this.#schedules.size;
  }

  /** Earliest monotonic deadline of any lease or schedule, or undefined when there is none. */
  get nextDeadline(): number | undefined {
    const slot = this.#heap.top();
    return slot < 0 ? undefined : this.#heap.deadline(slot);
  }

  /** Starts a lease on `id` for `ms` and returns its fencing token; a lease `id` already had is superseded. */
  acquire(id: string, ms: number): string {
    this.#assertOpen();
    assertId(id);
    assertMs(ms);
    const deadline = this.#clock.monotonic() + ms;
    const gen = this.#generation++;
    const slot = this.#leases.get(id);
    if (slot === undefined) this.#leases.set(id, this.#heap.insert(id, KIND_LEASE, gen, deadline));
    else this.#heap.update(slot, deadline, gen);
    this.#rearm();
    return formatToken(gen, id);
  }

  /** Makes the lease of `token` end `ms` from now; throws `LeaseLostError` if the token is stale. */
  extend(token: string, ms: number): void {
    this.#assertOpen();
    assertMs(ms);
    const slot = this.#currentSlot(token);
    if (slot < 0) throw new LeaseLostError(String(token));
    this.#heap.update(slot, this.#clock.monotonic() + ms, this.#heap.gen(slot));
    this.#rearm();
  }

  /** Ends the lease of `token` and returns its id; throws `LeaseLostError` if the token is stale. */
  release(token: string): string {
    this.#assertOpen();
    const slot = this.#currentSlot(token);
    if (slot < 0) throw new LeaseLostError(String(token));
    const id = this.#heap.id(slot);
    this.#heap.remove(slot);
    this.#leases.delete(id);
    this.#rearm();
    return id;
  }

  /** Ends whatever lease `id` holds, without a token; returns false when it holds none. */
  releaseId(id: string): boolean {
    const slot = this.#leases.get(id);
    if (slot === undefined) return false;
    this.#heap.remove(slot);
    this.#leases.delete(id);
    this.#rearm();
    return true;
  }

  /** True while `token` is its id's live lease (not expired, released or superseded). */
  isCurrent(token: string): boolean {
    return this.#currentSlot(token) >= 0;
  }

  /**
   * The id of `token`'s lease while the token is current (not expired,
   * released or superseded), else undefined: `idOf` and `isCurrent` in one
   * parse and one lookup, for hot paths that check many receipts.
   */
  currentId(token: string): string | undefined {
    if (typeof token !== "string") return undefined;
    const dot = tokenDot(token);
    const gen = tokenGeneration(token, dot);
    if (gen < 0) return undefined;
    const id = token.slice(dot + 1);
    const slot = this.#leases.get(id);
    return slot !== undefined && this.#heap.gen(slot) === gen ? id : undefined;
  }

  /** The current token of `id`'s lease, or undefined when it holds none. */
  tokenOf(id: string): string | undefined {
    const slot = this.#leases.get(id);
    return slot === undefined ? undefined : formatToken(this.#heap.gen(slot), id);
  }

  /** The id inside a well-formed token (parsed, not looked up), or undefined if malformed. */
  idOf(token: string): string | undefined {
    return typeof token === "string" ? tokenId(token) : undefined;
  }

  /** When `id`'s lease ends, in monotonic ms, or undefined when it holds none. */
  deadlineOf(id: string): number | undefined {
    const slot = this.#leases.get(id);
    return slot === undefined ? undefined : this.#heap.deadline(slot);
  }

  /** Calls `onDue(id)` once the wall-clock time `atWallMs` is reached; replaces an earlier schedule of `id`. */
  schedule(id: string, atWallMs: number): void {
    this.#assertOpen();
    assertId(id);
    if (!isWallTime(atWallMs)) throw new InvalidArgumentError("lease", "atWallMs", `expected a finite epoch ms, got ${String(atWallMs)}`);
    // Converted once: later wall-clock jumps move neither way.
    const deadline = this.#clock.monotonic() + (atWallMs - this.#clock.now());
    const slot = this.#schedules.get(id);
    if (slot === undefined) this.#schedules.set(id, this.#heap.insert(id, KIND_SCHEDULE, 0, deadline));
    else this.#heap.update(slot, deadline, 0);
    this.#rearm();
  }

  /** Cancels `id`'s schedule; false if it had none. */
  unschedule(id: string): boolean {
    this.#assertOpen();
    const slot = this.#schedules.get(id);
    if (slot === undefined) return false;
    this.#heap.remove(slot);
    this.#schedules.delete(id);
    this.#rearm();
    return true;
  }

  /** True while `id` has a pending schedule. */
  isScheduled(id: string): boolean {
    return this.#schedules.has(id);
  }

  /** Every lease and schedule as plain data with wall-clock deadlines, each list in firing order. */
  snapshot(): LeaseSnapshot {
    const now = this.#clock.now();
    const mono = this.#clock.monotonic();
    const leases: LeaseSnapshotLease[] = [];
    const schedules: LeaseSnapshotSchedule[] = [];
    for (const slot of this.#heap.sortedSlots()) {
      const id = this.#heap.id(slot);
      const at = now + (this.#heap.deadline(slot) - mono);
      if (this.#heap.kind(slot) === KIND_LEASE) leases.push({ id, token: formatToken(this.#heap.gen(slot), id), deadline: at });
      else schedules.push({ id, at });
    }
    return { version: 1, takenAt: now, leases, schedules };
  }

  /**
   * Replaces everything with `snapshot`, deadlines re-armed relative to now;
   * past ones fire on the next tick, in order. Restored tokens stay current.
   */
  restore(snapshot: LeaseSnapshot): void {
    this.#assertOpen();
    assertSnapshot(snapshot);
    this.#reset();
    const now = this.#clock.now();
    const mono = this.#clock.monotonic();
    let maxGen = -1;
    for (const lease of snapshot.leases) {
      const gen = tokenGeneration(lease.token, tokenDot(lease.token));
      this.#leases.set(lease.id, this.#heap.insert(lease.id, KIND_LEASE, gen, mono + (lease.deadline - now)));
      maxGen = Math.max(maxGen, gen);
    }
    // New tokens must never equal a restored one, nor (very likely) one the
    // snapshot's process issued after taking it: skip a random gap past them.
    if (maxGen >= this.#generation) this.#generation = maxGen + 1 + randomBelow(2 ** 47);
    for (const s of snapshot.schedules) this.#schedules.set(s.id, this.#heap.insert(s.id, KIND_SCHEDULE, 0, mono + (s.at - now)));
    this.#rearm();
  }

  /** Drops every lease and schedule (their tokens become stale) and disarms the timer. */
  clear(): void {
    this.#assertOpen();
    this.#reset();
  }

  /** Disarms the timer; later changes throw `HostClosedError`. Queries and `snapshot()` keep working. */
  close(): void {
    this.#closed = true;
    this.#disarm();
  }

  // ---------------------------------------------------------------------------

  #reset(): void {
    this.#heap.clear();
    this.#leases.clear();
    this.#schedules.clear();
    this.#disarm();
  }

  /** The heap slot of a current token, or -1. */
  #currentSlot(token: string): number {
    if (typeof token !== "string") return -1;
    const dot = tokenDot(token);
    const gen = tokenGeneration(token, dot);
    if (gen < 0) return -1;
    const slot = this.#leases.get(token.slice(dot + 1));
    return slot !== undefined && this.#heap.gen(slot) === gen ? slot : -1;
  }

  /**
   * Makes sure a timer will fire no later than the earliest deadline. A timer
   * armed for an earlier time is kept (it re-arms when it fires) so that
   * releasing the earliest lease, the common case, costs no timer churn.
   */
  #rearm(): void {
    if (this.#firing || this.#closed) return;
    const slot = this.#heap.top();
    if (slot < 0) {
      this.#disarm();
      return;
    }
    const next = this.#heap.deadline(slot);
    if (this.#armed && this.#armedFor <= next) return;
    this.#disarm();
    const delta = next - this.#clock.monotonic();
    // Whole milliseconds, rounded up, so the timer never aims before the deadline.
    const delay = delta > 0 ? Math.min(Math.ceil(delta), MAX_TIMER_MS) : 0;
    this.#armedFor = delay === MAX_TIMER_MS ? this.#clock.monotonic() + MAX_TIMER_MS : next;
    this.#timer = this.#clock.setTimeout(this.#onTimer, delay);
    this.#armed = true;
  }

  #disarm(): void {
    if (!this.#armed) return;
    this.#clock.clearTimeout(this.#timer);
    this.#armed = false;
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  /** Fires every entry due by now, earliest first; entries set by the callbacks themselves wait for the next tick. */
  readonly #onTimer = (): void => {
    this.#armed = false;
    this.#timer = undefined;
    this.#armedFor = Infinity;
    if (this.#closed) return;
    const heap = this.#heap;
    const now = this.#clock.monotonic();
    // A callback that re-acquires with 0 ms must not keep this loop going forever.
    const seqLimit = heap.nextSeq;
    this.#firing = true;
    try {
      while (!this.#closed) {
        const slot = heap.top();
        if (slot < 0 || heap.deadline(slot) > now || heap.seq(slot) >= seqLimit) break;
        const id = heap.id(slot);
        if (heap.kind(slot) === KIND_LEASE) {
          const token = formatToken(heap.gen(slot), id);
          heap.remove(slot);
          this.#leases.delete(id);
          try {
            this.options.onExpire(id, token);
          } catch (error) {
            this.#report(error, id);
          }
        } else {
          heap.remove(slot);
          this.#schedules.delete(id);
          try {
            this.options.onDue?.(id);
          } catch (error) {
            this.#report(error, id);
          }
        }
      }
    } finally {
      this.#firing = false;
    }
    this.#rearm();
  };

  /** Reports a callback's throw without letting it stop the other due entries. */
  #report(error: unknown, id: string): void {
    try {
      this.options.onError(error, id);
    } catch {
      // A throwing error handler must not stop them either.
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new HostClosedError("lease", "closed");
  }
}

// ---------------------------------------------------------------------------

function assertId(id: string): void {
  if (typeof id !== "string") throw new InvalidArgumentError("lease", "id", `expected a string, got ${typeof id}`);
}

function assertMs(ms: number): void {
  if (typeof ms !== "number" || !(ms >= 0 && ms <= MAX_LEASE_MS)) {
    throw new InvalidArgumentError("lease", "ms", `expected a finite number of milliseconds from 0 to 2^53, got ${String(ms)}`);
  }
}

/** A random integer in [0, limit), limit a power of two from 2^32 to 2^53. */
function randomBelow(limit: number): number {
  const words = globalThis.crypto.getRandomValues(new Uint32Array(2));
  return ((words[0] as number) % (limit / 2 ** 32)) * 2 ** 32 + (words[1] as number);
}
