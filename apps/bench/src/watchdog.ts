/** Fails a workload that stops making progress, so one stuck system cannot hang the whole run. */
export class Watchdog {
  readonly #stallMs: number;
  readonly #what: string;
  #last = performance.now();

  constructor(what: string, stallMs: number) {
    this.#what = what;
    this.#stallMs = stallMs;
  }

  /** Record progress. */
  tick(): void {
    this.#last = performance.now();
  }

  /** Resolve with `work`, or reject once no progress was ticked for the stall time. */
  async guard<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        const idle = performance.now() - this.#last;
        if (idle > this.#stallMs) reject(new Error(`${this.#what}: no progress for ${Math.round(idle / 1000)} s`));
      }, 1_000);
      timer.unref();
    });
    try {
      return await Promise.race([work, stalled]);
    } finally {
      clearInterval(timer);
    }
  }
}
