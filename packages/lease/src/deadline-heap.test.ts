import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DeadlineHeap, KIND_LEASE, KIND_SCHEDULE } from "./deadline-heap";

interface ModelEntry {
  id: string;
  deadline: number;
  seq: number;
}

function drain(heap: DeadlineHeap): string[] {
  const out: string[] = [];
  for (let slot = heap.top(); slot >= 0; slot = heap.top()) {
    out.push(heap.id(slot));
    heap.remove(slot);
  }
  return out;
}

describe("DeadlineHeap", () => {
  it("pops by deadline, ties in insertion order", () => {
    const heap = new DeadlineHeap();
    heap.insert("b", KIND_LEASE, 1, 5);
    heap.insert("a", KIND_SCHEDULE, 0, 3);
    heap.insert("c", KIND_LEASE, 2, 5);
    heap.insert("d", KIND_LEASE, 3, 5);
    expect(heap.kind(heap.top())).toBe(KIND_SCHEDULE);
    expect(drain(heap)).toEqual(["a", "b", "c", "d"]);
    expect(heap.size).toBe(0);
    expect(heap.top()).toBe(-1);
  });

  it("an update sorts after entries already at the new deadline", () => {
    const heap = new DeadlineHeap();
    const a = heap.insert("a", KIND_LEASE, 1, 1);
    heap.insert("b", KIND_LEASE, 2, 9);
    heap.update(a, 9, 7);
    expect(heap.gen(a)).toBe(7);
    expect(drain(heap)).toEqual(["b", "a"]);
  });

  it("matches a sorted-array model under random insert/update/remove, across growth", () => {
    type Op = { op: "insert"; deadline: number } | { op: "update"; pick: number; deadline: number } | { op: "remove"; pick: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 3, arbitrary: fc.record({ op: fc.constant("insert" as const), deadline: fc.integer({ min: 0, max: 50 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant("update" as const), pick: fc.nat(), deadline: fc.integer({ min: 0, max: 50 }) }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant("remove" as const), pick: fc.nat() }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const heap = new DeadlineHeap();
        const model = new Map<number, ModelEntry>();
        let seq = 0;
        let n = 0;
        for (const o of ops) {
          const slots = [...model.keys()];
          if (o.op === "insert") {
            const id = `m${n++}`;
            model.set(heap.insert(id, KIND_LEASE, 0, o.deadline), { id, deadline: o.deadline, seq: seq++ });
          } else if (slots.length > 0) {
            const slot = slots[o.pick % slots.length]!;
            if (o.op === "update") {
              heap.update(slot, o.deadline, 0);
              model.set(slot, { ...model.get(slot)!, deadline: o.deadline, seq: seq++ });
            } else {
              heap.remove(slot);
              model.delete(slot);
            }
          }
          expect(heap.size).toBe(model.size);
        }
        const expected = [...model.values()].sort((a, b) => a.deadline - b.deadline || a.seq - b.seq).map((e) => e.id);
        expect(drain(heap)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("sortedSlots lists live entries earliest first without removing them", () => {
    const heap = new DeadlineHeap();
    for (let i = 0; i < 200; i++) heap.insert(`x${i}`, KIND_LEASE, i, (i * 37) % 11);
    const ids = heap.sortedSlots().map((s) => heap.id(s));
    expect(heap.size).toBe(200);
    expect(ids).toEqual(drain(heap));
  });

  it("clear empties it and slots are reused", () => {
    const heap = new DeadlineHeap();
    for (let i = 0; i < 100; i++) heap.insert(`x${i}`, KIND_LEASE, i, i);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.top()).toBe(-1);
    const s = heap.insert("y", KIND_LEASE, 1, 1);
    heap.remove(s);
    expect(heap.insert("z", KIND_LEASE, 1, 1)).toBe(s);
  });
});
