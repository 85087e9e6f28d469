import { toMqError, type MqError } from "@mq/core";

/** One due schedule as the `sdue` script returns it. */
export interface DueSchedule {
  readonly name: string;
  readonly nextFireAt: number;
  readonly id: string;
  readonly record: Buffer;
}

/** What the runner needs from the backend. */
export interface ScheduleRunnerDeps {
  /** Longest gap between two looks at the schedules (finds schedules other processes created). */
  readonly intervalMs: number;
  /** Most schedules fired per look. */
  readonly batch: number;
  /** Schedules due now, Redis's clock and the earliest next fire time (epoch ms). */
  due(): Promise<{ now: number; due: DueSchedule[]; next: number | undefined }>;
  /** Enqueues one due schedule's fires and moves it on (both idempotent per fire time). */
  fire(schedule: DueSchedule, now: number): Promise<void>;
  onError(error: MqError): void;
}

/**
 * One per process: fires due schedules. Every process runs one, so a
 * schedule keeps firing while any process is up; the fire itself is made
 * once per fire time by the scripts (a mark in the queue's slot, then a
 * compare-and-set of the next fire time), so racing runners and a crash
 * between the two steps never enqueue a fire time twice. Due times are Redis
 * time; the timer converts them with the offset seen in the last reply.
 */
export class ScheduleRunner {
  readonly #deps: ScheduleRunnerDeps;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  /** The look in progress, if any. */
  #current: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #offset = 0;
  /** Earliest fire time this process knows of (Redis epoch ms). */
  #nextDue = Infinity;
  /** Delay until the next look, as the last look computed it. */
  #nextArm = 0;
  /** The look in progress is enqueuing fires. */
  #firing = false;

  constructor(deps: ScheduleRunnerDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#arm(0);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A schedule is due at `at` (Redis epoch ms): look then. */
  noteDue(at: number): void {
    this.#nextDue = Math.min(this.#nextDue, at);
    this.#arm(at - (Date.now() + this.#offset));
  }

  /**
   * Fires what is due before a receive leases, so a receive made after a
   * fire time sees that fire instead of racing the timer (as due delayed
   * messages are moved by the lease itself). Costs nothing unless a known
   * fire time is within {@link CATCH_UP_SLACK_MS} of the local estimate of
   * Redis time; then it looks (Redis decides what is due).
   */
  async catchUp(): Promise<void> {
    if (this.#stopped) return;
    // A look that is firing has already moved the fire time on: wait for its enqueues.
    if (this.#current !== undefined && (this.#firing || this.#nearDue())) await this.#current;
    if (this.#nearDue()) await this.#run();
  }

  #nearDue(): boolean {
    return Date.now() + this.#offset >= this.#nextDue - CATCH_UP_SLACK_MS;
  }

  #arm(delayMs: number): void {
    if (this.#stopped) return;
    const delay = Math.min(Math.max(1, Math.ceil(delayMs) + 1), this.#deps.intervalMs);
    const at = performance.now() + delay;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => void this.#run(), delay);
  }

  #run(): Promise<void> {
    if (this.#current !== undefined) {
      this.#again = true;
      return this.#current;
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const current = this.#look().finally(() => {
      this.#current = undefined;
      const again = this.#again;
      this.#again = false;
      this.#arm(again ? 0 : this.#nextArm);
    });
    this.#current = current;
    return current;
  }

  async #look(): Promise<void> {
    let next = this.#deps.intervalMs;
    try {
      const { now, due, next: nextAt } = await this.#deps.due();
      this.#offset = now - Date.now();
      // The earliest fire after now; fires below move it on through noteDue.
      this.#nextDue = nextAt ?? Infinity;
      let failed = false;
      this.#firing = due.length > 0;
      for (const schedule of due) {
        if (this.#stopped) break;
        try {
          await this.#deps.fire(schedule, now);
        } catch (error) {
          // Not moved on: the next look retries it, and the fire mark keeps the retry from enqueuing twice.
          failed = true;
          if (!this.#stopped) this.#deps.onError(toMqError(error, `schedule "${schedule.name}" could not fire`));
        }
      }
      // After a failure, wait a whole interval: the failed schedule is still due and would spin the loop.
      if (failed) next = this.#deps.intervalMs;
      else if (due.length >= this.#deps.batch) next = 0;
      else if (this.#nextDue !== Infinity) next = Math.min(next, this.#nextDue - (Date.now() + this.#offset));
    } catch (error) {
      if (!this.#stopped) this.#deps.onError(toMqError(error, "schedule look-up failed"));
    }
    this.#firing = false;
    this.#nextArm = next;
  }
}

/** How close to a known fire time (local estimate of Redis time) a receive looks first. */
const CATCH_UP_SLACK_MS = 50;
