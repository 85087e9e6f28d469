import { serializeEvent } from "./event-log";
import type { Ev } from "./events";

/** Every class the checker counts. Which of them are violations is decided by {@link isViolationClass}. */
export const HISTORY_CLASSES = [
  "lost",
  "lostUpdate",
  "phantom",
  "spuriousRedelivery",
  "redeliveredAfterAck",
  "doubleAck",
  "leaseOverlap",
  "early",
  "late",
  "attempts",
  "dlqAndAcked",
  "dedup",
  "partialBatch",
  "partialAckPublish",
  "reorder",
  "priorityInversion",
  "malformed",
  "recovered",
  "duplicateDelivery",
  "allowedLoss",
] as const;

/** One class of finding (see reliability-anchors §6.3). */
export type HistoryClass = (typeof HISTORY_CLASSES)[number];

// Counted, never fatal: at-least-once allows them, or the durability mode allowed the loss.
const ALLOWED: ReadonlySet<HistoryClass> = new Set<HistoryClass>(["recovered", "duplicateDelivery", "allowedLoss"]);
// Violations only in strict runs (1 producer, 1 consumer, max = 1, no failures); a metric otherwise.
const STRICT_ONLY: ReadonlySet<HistoryClass> = new Set<HistoryClass>(["reorder", "priorityInversion"]);

/** True when findings of `cls` make a history invalid (`strict` turns on REORDER and PRIORITY INVERSION). */
export function isViolationClass(cls: HistoryClass, strict: boolean): boolean {
  if (ALLOWED.has(cls)) return false;
  return strict || !STRICT_ONLY.has(cls);
}

/** The first finding of a class, with the events that show it. */
export interface HistoryExample {
  readonly message: string;
  readonly events: readonly Ev[];
}

/** One violated class: how often, and one example. */
export interface HistoryViolation {
  readonly cls: HistoryClass;
  readonly count: number;
  readonly example: HistoryExample;
}

/** What {@link checkHistory} found. */
export interface HistoryReport {
  /** True when no violation class has a finding. */
  readonly valid: boolean;
  /** Findings per class, violations and allowed ones alike. */
  readonly counts: Readonly<Record<HistoryClass, number>>;
  /** Each violated class with its count and first example, in {@link HISTORY_CLASSES} order. */
  readonly violations: readonly HistoryViolation[];
  /** First example of every class with findings (allowed ones included). */
  readonly examples: Readonly<Partial<Record<HistoryClass, HistoryExample>>>;
  /** Size of the history. */
  readonly totals: { readonly events: number; readonly tokens: number; readonly ids: number; readonly deliveries: number };
  /** Checks that were skipped, and why (e.g. no `final` event). */
  readonly notes: readonly string[];
}

/** Collects findings while the checks run. */
export class ReportBuilder {
  readonly #counts = Object.fromEntries(HISTORY_CLASSES.map((c) => [c, 0])) as Record<HistoryClass, number>;
  readonly #examples: Partial<Record<HistoryClass, HistoryExample>> = {};
  readonly #notes: string[] = [];

  /** Count one finding; the first of each class is kept as the example. */
  add(cls: HistoryClass, message: string, events: readonly (Ev | undefined)[] = []): void {
    this.#counts[cls] += 1;
    if (this.#examples[cls] === undefined) {
      const evs = [...new Set(events.filter((e): e is Ev => e !== undefined))].sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
      this.#examples[cls] = { message, events: evs };
    }
  }

  note(text: string): void {
    this.#notes.push(text);
  }

  build(strict: boolean, totals: HistoryReport["totals"]): HistoryReport {
    const violations = HISTORY_CLASSES.filter((c) => isViolationClass(c, strict) && this.#counts[c] > 0).map((cls) => ({
      cls,
      count: this.#counts[cls],
      example: this.#examples[cls] ?? { message: "", events: [] },
    }));
    return { valid: violations.length === 0, counts: { ...this.#counts }, violations, examples: { ...this.#examples }, totals, notes: [...this.#notes] };
  }
}

/** A readable summary: verdict, totals, non-zero counts, then one example per violated class with its events. */
export function formatHistoryReport(report: HistoryReport): string {
  const { totals } = report;
  const lines = [
    `history ${report.valid ? "VALID" : "INVALID"}: ${String(totals.events)} events, ${String(totals.tokens)} tokens, ${String(totals.ids)} ids, ${String(totals.deliveries)} deliveries`,
  ];
  const nonZero = HISTORY_CLASSES.filter((c) => report.counts[c] > 0);
  if (nonZero.length > 0) lines.push(`counts: ${nonZero.map((c) => `${c}=${String(report.counts[c])}`).join(", ")}`);
  for (const v of report.violations) {
    lines.push("", `VIOLATION ${v.cls} x${String(v.count)}: ${v.example.message}`);
    for (const ev of v.example.events) lines.push(`  ${serializeEvent(ev)}`);
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join("\n");
}
