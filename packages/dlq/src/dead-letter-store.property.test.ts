import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { DeadLetterFilter } from "@mq/core";
import { ids, makeLetter } from "../test/make-letter";
import { ReferenceModel } from "../test/reference-model";
import { DeadLetterStore } from "./dead-letter-store";

const QUEUES = ["a", "b", "c"] as const;
const REASONS = ["max-retries", "expired", "poison", "custom-reason"] as const;

// Paging state carried between ListPage commands: the real cursor and, in the model, the seq it stands for.
interface System {
  real: DeadLetterStore;
  cursor?: string;
}
interface Model {
  ref: ReferenceModel;
  after: number;
}

const filterArb: fc.Arbitrary<DeadLetterFilter> = fc.record(
  { queue: fc.constantFrom(...QUEUES), reason: fc.constantFrom(...REASONS) },
  { requiredKeys: [] },
);
const idArb = fc.integer({ min: 0, max: 14 }).map((i) => `m${i}`);

function checkSame(model: Model, real: DeadLetterStore): void {
  const { ref } = model;
  expect(real.size).toBe(ref.entries.length);
  expect(real.droppedCount).toBe(ref.dropped);
  const snap = real.snapshot();
  expect(snap.seqs).toEqual(ref.entries.map((e) => e.seq));
  expect(ids(snap.letters)).toEqual(ref.entries.map((e) => e.letter.message.id));
  // Expected counts for every filter, from one pass over the model.
  const expected = new Map<string, number>();
  for (const { letter } of ref.entries) {
    for (const key of ["*|*", `${letter.queue}|*`, `*|${letter.reason}`, `${letter.queue}|${letter.reason}`]) expected.set(key, (expected.get(key) ?? 0) + 1);
  }
  for (const queue of [undefined, ...QUEUES]) {
    for (const reason of [undefined, ...REASONS]) {
      const filter = { ...(queue ? { queue } : {}), ...(reason ? { reason } : {}) };
      expect(real.count(filter)).toBe(expected.get(`${queue ?? "*"}|${reason ?? "*"}`) ?? 0);
    }
  }
}

class Add implements fc.Command<Model, System> {
  constructor(readonly id: string, readonly queue: string, readonly reason: string) {}
  check = (): boolean => true;
  run(m: Model, s: System): void {
    const letter = makeLetter(this.id, { queue: this.queue, reason: this.reason });
    expect(s.real.add(letter)?.message.id).toBe(m.ref.add(letter)?.message.id);
    checkSame(m, s.real);
  }
  toString = (): string => `add(${this.id},${this.queue},${this.reason})`;
}

// Many fresh ids at once, so overflow and compaction (past 1024 dead slots) are exercised.
class AddMany implements fc.Command<Model, System> {
  constructor(readonly n: number, readonly queue: string) {}
  check = (): boolean => true;
  run(m: Model, s: System): void {
    const realDropped: (string | undefined)[] = [];
    const modelDropped: (string | undefined)[] = [];
    for (let i = 0; i < this.n; i++) {
      const letter = makeLetter(`bulk-${m.ref.nextSeq}`, { queue: this.queue, reason: "poison" });
      realDropped.push(s.real.add(letter)?.message.id);
      modelDropped.push(m.ref.add(letter)?.message.id);
    }
    expect(realDropped).toEqual(modelDropped);
    checkSame(m, s.real);
  }
  toString = (): string => `addMany(${this.n},${this.queue})`;
}

class Remove implements fc.Command<Model, System> {
  constructor(readonly id: string) {}
  check = (): boolean => true;
  run(m: Model, s: System): void {
    expect(s.real.remove(this.id)).toBe(m.ref.remove(this.id));
    checkSame(m, s.real);
  }
  toString = (): string => `remove(${this.id})`;
}

class Take implements fc.Command<Model, System> {
  constructor(readonly target: string | DeadLetterFilter) {}
  check = (): boolean => true;
  run(m: Model, s: System): void {
    expect(s.real.take(this.target)).toEqual(m.ref.take(this.target));
    checkSame(m, s.real);
  }
  toString = (): string => `take(${JSON.stringify(this.target)})`;
}

class Purge implements fc.Command<Model, System> {
  constructor(readonly filter: DeadLetterFilter | undefined) {}
  check = (): boolean => true;
  run(m: Model, s: System): void {
    expect(s.real.purge(this.filter)).toBe(m.ref.purge(this.filter));
    checkSame(m, s.real);
  }
  toString = (): string => `purge(${JSON.stringify(this.filter)})`;
}

class ListPage implements fc.Command<Model, System> {
  constructor(readonly filter: DeadLetterFilter, readonly limit: number) {}
  check = (): boolean => true;
  run(m: Model, s: System): void {
    const page = s.real.list({ ...this.filter, limit: this.limit, ...(s.cursor === undefined ? {} : { cursor: s.cursor }) });
    const expected = m.ref.page(this.filter, this.limit, m.after);
    expect(ids(page.items)).toEqual(ids(expected.items));
    expect(page.nextCursor !== undefined).toBe(expected.resumeAfter !== undefined);
    // At the end of a listing, start over from the oldest.
    if (page.nextCursor === undefined) delete s.cursor;
    else s.cursor = page.nextCursor;
    m.after = expected.resumeAfter ?? 0;
  }
  toString = (): string => `list(${JSON.stringify(this.filter)},${this.limit})`;
}

const addArb = fc.tuple(idArb, fc.constantFrom(...QUEUES), fc.constantFrom(...REASONS)).map(([id, q, r]) => new Add(id, q, r));
// Unfiltered pages more often, so listings run long enough for cursors to matter.
const pageFilterArb = fc.oneof({ arbitrary: fc.constant({}), weight: 2 }, { arbitrary: filterArb, weight: 1 });
const listArb = fc.tuple(pageFilterArb, fc.integer({ min: 1, max: 6 })).map(([f, l]) => new ListPage(f, l));
// Listed more than once to weight them: adds and pages interleave most.
const commands = [
  addArb,
  addArb,
  listArb,
  listArb,
  listArb,
  fc.tuple(fc.integer({ min: 1, max: 1500 }), fc.constantFrom(...QUEUES)).map(([n, q]) => new AddMany(n, q)),
  idArb.map((id) => new Remove(id)),
  fc.oneof(idArb, filterArb).map((t) => new Take(t)),
  fc.option(filterArb, { nil: undefined }).map((f) => new Purge(f)),
];

describe("DeadLetterStore against a reference model", () => {
  it("agrees on every add/remove/take/purge/list sequence", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 3, 10, 600),
        fc.integer({ min: 0, max: 15 }),
        fc.commands(commands, { maxCommands: 60, size: "+1" }),
        (maxEntries, prefill, cmds) => {
          const setup = () => {
            const model: Model = { ref: new ReferenceModel(maxEntries), after: 0 };
            const real: System = { real: new DeadLetterStore({ maxEntries }) };
            for (let i = 0; i < prefill; i++) {
              const letter = makeLetter(`m${i}`, { queue: QUEUES[i % 3]!, reason: REASONS[i % 4]! });
              model.ref.add(letter);
              real.real.add(letter);
            }
            return { model, real };
          };
          fc.modelRun(setup, cmds);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("pages over a changing store without skipping or repeating any entry present throughout", () => {
    type Step = { kind: "add"; queue: string } | { kind: "remove"; pick: number } | { kind: "readd"; pick: number };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      fc.constantFrom(...QUEUES).map((queue) => ({ kind: "add" as const, queue })),
      fc.nat().map((pick) => ({ kind: "remove" as const, pick })),
      fc.nat().map((pick) => ({ kind: "readd" as const, pick })),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.option(fc.constantFrom(...QUEUES), { nil: undefined }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.array(stepArb, { maxLength: 5 }), { maxLength: 40 }),
        (initial, queue, limit, between) => {
          const store = new DeadLetterStore();
          let next = 0;
          for (; next < initial; next++) store.add(makeLetter(`i${next}`, { queue: QUEUES[next % 3]! }));
          const matching = (id: string) => queue === undefined || store.get(id)?.queue === queue;
          const touched = new Set<string>(); // removed or re-added at some point: not "present throughout"
          const seen: string[] = [];
          let cursor: string | undefined;
          for (let round = 0; ; round++) {
            // Every page but the last returns at least one item, so more rounds than items means a loop.
            if (round > initial + 200) throw new Error("paging did not terminate");
            const page = store.list({ limit, ...(queue === undefined ? {} : { queue }), ...(cursor === undefined ? {} : { cursor }) });
            seen.push(...ids(page.items));
            if (page.nextCursor === undefined) break;
            cursor = page.nextCursor;
            for (const step of between[round] ?? []) {
              const held = ids(store.snapshot().letters);
              if (step.kind === "add") store.add(makeLetter(`n${next++}`, { queue: step.queue }));
              else if (held.length > 0) {
                const id = held[step.pick % held.length]!;
                touched.add(id);
                if (step.kind === "remove") store.remove(id);
                else store.add(makeLetter(id, { queue: store.get(id)!.queue }));
              }
            }
          }
          const steady = Array.from({ length: initial }, (_, i) => `i${i}`).filter((id) => !touched.has(id) && matching(id));
          for (const id of steady) expect(seen.filter((s) => s === id)).toHaveLength(1);
          // Nothing untouched is ever repeated either.
          for (const id of seen.filter((s) => !touched.has(s))) expect(seen.filter((s) => s === id)).toHaveLength(1);
        },
      ),
      { numRuns: 200 },
    );
  });
});
