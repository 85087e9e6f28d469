import { VersionConflictError } from "@mq/core";
import type { DedupMode } from "@mq/core";
import fc from "fast-check";
import { expect, it } from "vitest";
import { DedupIndex } from "./dedup-index";
import type { DedupDecision, DedupEntry, DedupState } from "./types";

// A naive reference: one Map, a full scan to sweep, no acceptance order.

interface ModelEntry {
  messageId: string;
  version: number;
  state: DedupState;
  mode: DedupMode;
  acceptedAt: number;
  expiresAt: number; // Infinity in replace mode
}

class Model {
  readonly entries = new Map<string, ModelEntry>();
  readonly ids = new Map<string, string[]>();
  now = 1_700_000_000_000;
  nextId = 0;

  live(key: string): ModelEntry | undefined {
    const e = this.entries.get(key);
    return e !== undefined && this.now < e.expiresAt ? e : undefined;
  }

  decide(key: string, mode: DedupMode, windowMs: number, expectedVersion?: number): DedupDecision | { conflict: number } {
    const e = this.live(key);
    const actual = e?.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== actual) return { conflict: actual };
    if (e === undefined) return { action: "create", version: 1 };
    if (mode === "drop") {
      return this.now - e.acceptedAt < windowMs
        ? { action: "duplicate", messageId: e.messageId, version: e.version }
        : { action: "create", version: e.version + 1 };
    }
    return e.state === "pending" ? { action: "replace", messageId: e.messageId, version: e.version + 1 } : { action: "create", version: e.version + 1 };
  }

  accept(key: string, messageId: string, version: number, mode: DedupMode, windowMs: number): void {
    const expiresAt = mode === "drop" ? this.now + windowMs : Infinity;
    this.entries.set(key, { messageId, version, state: "pending", mode, acceptedAt: this.now, expiresAt });
    const ids = this.ids.get(key) ?? [];
    if (!ids.includes(messageId)) ids.push(messageId);
    this.ids.set(key, ids);
  }

  release(key: string, messageId: string): void {
    const e = this.entries.get(key);
    if (e === undefined || e.messageId !== messageId) return;
    if (e.mode === "replace" || this.now >= e.expiresAt) this.entries.delete(key);
    else e.state = "released";
  }

  sweep(): void {
    for (const [key, e] of this.entries) if (this.now >= e.expiresAt) this.entries.delete(key);
  }

  pickId(key: string, which: "current" | "stale"): string {
    const current = this.entries.get(key)?.messageId;
    if (which === "current") return current ?? "none";
    const stale = (this.ids.get(key) ?? []).filter((id) => id !== current);
    return stale[stale.length - 1] ?? "none";
  }
}

interface Real {
  index: DedupIndex;
}

const KEYS = ["a", "b", "c", "q\u0000a"] as const;
const WINDOWS = [0, 5, 20, 100] as const;
type Cmd = fc.Command<Model, Real>;

function toEntry(key: string, e: ModelEntry): DedupEntry {
  const base = { key, messageId: e.messageId, version: e.version, state: e.state, mode: e.mode, acceptedAt: e.acceptedAt };
  return e.mode === "drop" ? { ...base, expiresAt: e.expiresAt } : base;
}

function agree(m: Model, r: Real): void {
  for (const key of KEYS) {
    const live = m.live(key);
    expect(r.index.get(key, m.now)).toEqual(live === undefined ? undefined : toEntry(key, live));
    const stored = r.index.get(key);
    if (live !== undefined) expect(stored).toEqual(toEntry(key, live));
    else if (stored !== undefined) expect(m.now).toBeGreaterThanOrEqual(stored.expiresAt ?? Infinity); // aged out, not yet swept
  }
}

class Enqueue implements Cmd {
  constructor(
    readonly key: string,
    readonly mode: DedupMode,
    readonly windowMs: number,
    readonly expect: "none" | "current" | "zero" | "wrong",
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const current = m.live(this.key)?.version ?? 0;
    const expectedVersion = { none: undefined, current, zero: 0, wrong: current + 1 }[this.expect];
    const want = m.decide(this.key, this.mode, this.windowMs, expectedVersion);
    const opts = { mode: this.mode, windowMs: this.windowMs, now: m.now, ...(expectedVersion === undefined ? {} : { expectedVersion }) };
    if ("conflict" in want) {
      expect(() => r.index.decide(this.key, opts)).toThrow(VersionConflictError);
      expect(() => r.index.decide(this.key, opts)).toThrow(expect.objectContaining({ actual: want.conflict }));
    } else {
      const got = r.index.decide(this.key, opts);
      expect(got).toEqual(want);
      if (got.action !== "duplicate") {
        const messageId = got.messageId ?? `m${m.nextId++}`;
        m.accept(this.key, messageId, got.version, this.mode, this.windowMs);
        r.index.accept(this.key, { messageId, version: got.version, mode: this.mode, now: m.now, windowMs: this.windowMs });
      }
    }
    agree(m, r);
  }
  toString(): string {
    return `enqueue(${JSON.stringify(this.key)}, ${this.mode}, ${this.windowMs}, ${this.expect})`;
  }
}

class Mark implements Cmd {
  constructor(
    readonly op: "inFlight" | "pending" | "release",
    readonly key: string,
    readonly which: "current" | "stale",
  ) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const id = m.pickId(this.key, this.which);
    const e = m.entries.get(this.key);
    if (this.op === "release") {
      m.release(this.key, id);
      r.index.release(this.key, id, m.now);
    } else if (this.op === "inFlight") {
      if (e?.messageId === id && e.state === "pending") e.state = "in-flight";
      r.index.markInFlight(this.key, id);
    } else {
      if (e?.messageId === id && e.state === "in-flight") e.state = "pending";
      r.index.markPending(this.key, id);
    }
    agree(m, r);
  }
  toString(): string {
    return `${this.op}(${JSON.stringify(this.key)}, ${this.which})`;
  }
}

class Sweep implements Cmd {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    m.sweep();
    r.index.sweep(m.now);
    expect(r.index.size).toBe(m.entries.size);
    agree(m, r);
  }
  toString(): string {
    return "sweep";
  }
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    m.now += this.ms;
    agree(m, r);
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

class SnapshotRestore implements Cmd {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const snap = r.index.snapshot();
    const next = new DedupIndex();
    next.restore(structuredClone(snap));
    expect(next.snapshot()).toEqual(snap);
    r.index = next;
    agree(m, r);
  }
  toString(): string {
    return "snapshot+restore";
  }
}

const key = fc.constantFrom(...KEYS);
const enqueue = fc.tuple(key, fc.constantFrom<DedupMode>("replace", "drop"), fc.constantFrom(...WINDOWS), fc.constantFrom<"none" | "current" | "zero" | "wrong">("none", "none", "current", "zero", "wrong")).map(
    ([k, mode, w, e]) => new Enqueue(k, mode, w, e),
  );
const mark = fc.tuple(fc.constantFrom<"inFlight" | "pending" | "release">("inFlight", "pending", "release"), key, fc.constantFrom<"current" | "stale">("current", "current", "stale")).map(
    ([op, k, which]) => new Mark(op, k, which),
  );
// Repeats weight the mix towards enqueues, the operation with the most rules.
const commands = [
  enqueue,
  enqueue,
  enqueue,
  mark,
  mark,
  fc.constant(new Sweep()),
  fc.constantFrom(0, 1, 5, 20, 100).map((ms) => new Advance(ms)),
  fc.integer({ min: 0, max: 30 }).map((ms) => new Advance(ms)),
  fc.constant(new SnapshotRestore()),
];

it("agrees with a naive Map model on every decide and get", () => {
  fc.assert(
    fc.property(fc.commands(commands, { maxCommands: 100 }), (cmds) => {
      fc.modelRun(() => ({ model: new Model(), real: { index: new DedupIndex() } }), cmds);
    }),
    { numRuns: 500 },
  );
});
