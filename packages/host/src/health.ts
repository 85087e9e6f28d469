import type { Clock, DurabilityMode, MqError, Persistence, SnapshotInfo } from "@mq/core";
import type { DispatcherQueueStats } from "@mq/dispatcher";

/** What {@link QueueHost.health} reports: enough for a readiness probe and an operator's first look. */
export interface HostHealth {
  /** True when the host is started, its journal accepts writes and nothing failed. */
  readonly ok: boolean;
  /** Lifecycle of the engine; `failed` once the journal failed (fail-stop). */
  readonly status: "new" | "opening" | "open" | "closing" | "closed" | "failed";
  /** The journal's durability mode; `none` on a custom backend (it keeps its own). */
  readonly durability: DurabilityMode;
  readonly journal: JournalHealth;
  /** Why the host stopped accepting writes (fail-stop), if it did. */
  readonly failure?: { readonly code: string; readonly message: string; readonly at: number };
  /** True while handlers are running (started and not stopping). */
  readonly handlersRunning: boolean;
  readonly handlers: readonly { readonly queue: string; readonly running: number; readonly parallelism: number; readonly paused: boolean }[];
}

/** The journal's side of {@link HostHealth}. */
export interface JournalHealth {
  /** `file`, `memory` or an adapter's name; `backend` when the host runs on a custom backend (no journal of its own). */
  readonly kind: string;
  readonly state: "new" | "open" | "failed" | "closed";
  readonly lastLsn: number;
  /** Highest LSN on disk, when the adapter reports it (the file journal does). */
  readonly durableLsn?: number;
  /**
   * How long frames have waited for fdatasync, as seen across health() calls:
   * 0 when everything written is durable. Only when the adapter reports `durableLsn`.
   */
  readonly syncLagMs?: number;
  readonly lastSnapshot?: SnapshotInfo & { readonly at: number };
  readonly lastSnapshotError?: { readonly message: string; readonly at: number };
}

/** Collects health facts from persistence and engine events (a few listeners, never on the per-message path). */
export class HealthTracker {
  readonly #persistence: Persistence | undefined;
  readonly #clock: Clock;
  #failure: HostHealth["failure"];
  #lastSnapshot: JournalHealth["lastSnapshot"];
  #lastSnapshotError: JournalHealth["lastSnapshotError"];
  #lastDurable = -1;
  #lastSyncProgressAt = 0;

  constructor(persistence: Persistence | undefined, clock: Clock) {
    this.#persistence = persistence;
    this.#clock = clock;
    if (persistence === undefined) return;
    persistence.events.on("error", (error) => this.fail(error));
    persistence.events.on("snapshot", (info) => {
      this.#lastSnapshot = { ...info, at: clock.now() };
    });
    persistence.events.on("snapshotFailed", (error) => {
      this.#lastSnapshotError = { message: error.message, at: clock.now() };
    });
  }

  /** Records the first fail-stop error (the engine's or the journal's). */
  fail(error: MqError): void {
    this.#failure ??= { code: error.code, message: error.message, at: this.#clock.now() };
  }

  report(engineStatus: Exclude<HostHealth["status"], "failed">, handlersRunning: boolean, workers: readonly DispatcherQueueStats[]): HostHealth {
    const failed = this.#failure !== undefined;
    const status = failed ? "failed" : engineStatus;
    return {
      ok: !failed && engineStatus === "open",
      status,
      durability: this.#persistence?.durability ?? "none",
      journal: this.#journal(engineStatus, failed),
      ...(this.#failure === undefined ? {} : { failure: this.#failure }),
      handlersRunning: handlersRunning && !failed,
      handlers: workers.map((w) => ({ queue: w.queue, running: w.running, parallelism: w.parallelism, paused: w.paused })),
    };
  }

  // ---------------------------------------------------------------------------

  #journal(engineStatus: string, failed: boolean): JournalHealth {
    const p = this.#persistence;
    const state = failed ? "failed" : engineStatus === "open" || engineStatus === "closing" ? "open" : engineStatus === "closed" ? "closed" : "new";
    if (p === undefined) return { kind: "backend", state, lastLsn: 0 };
    const durableLsn = (p as { readonly durableLsn?: unknown }).durableLsn;
    const sync: { durableLsn?: number; syncLagMs?: number } = {};
    if (typeof durableLsn === "number") {
      // Monotonic: a wall-clock jump must not show as (or hide) a sync stall.
      const now = this.#clock.monotonic();
      if (durableLsn !== this.#lastDurable || durableLsn >= p.lastLsn) this.#lastSyncProgressAt = now;
      this.#lastDurable = durableLsn;
      sync.durableLsn = durableLsn;
      sync.syncLagMs = durableLsn >= p.lastLsn ? 0 : now - this.#lastSyncProgressAt;
    }
    return {
      kind: p.kind,
      state,
      lastLsn: p.lastLsn,
      ...sync,
      ...(this.#lastSnapshot === undefined ? {} : { lastSnapshot: this.#lastSnapshot }),
      ...(this.#lastSnapshotError === undefined ? {} : { lastSnapshotError: this.#lastSnapshotError }),
    };
  }
}
