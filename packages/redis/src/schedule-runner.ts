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
  #running = false;
  #again = false;
  #stopped = false;
  #offset = 0;

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
    this.#arm(at - (Date.now() + this.#offset));
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

  async #run(): Promise<void> {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    let next = this.#deps.intervalMs;
    try {
      const { now, due, next: nextAt } = await this.#deps.due();
      this.#offset = now - Date.now();
      let failed = false;
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
      else if (nextAt !== undefined) next = Math.min(next, nextAt - now);
    } catch (error) {
      if (!this.#stopped) this.#deps.onError(toMqError(error, "schedule look-up failed"));
    } finally {
      this.#running = false;
    }
    if (this.#again) {
      this.#again = false;
      next = 0;
    }
    this.#arm(next);
  }
}
