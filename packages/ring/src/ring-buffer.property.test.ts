import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RingBuffer } from "./ring-buffer";

type Op =
  | { kind: "push"; value: number }
  | { kind: "tryPush"; value: number }
  | { kind: "shift" }
  | { kind: "peek" }
  | { kind: "drain"; max: number }
  | { kind: "clear" }
  | { kind: "iterate" };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.integer().map((value) => ({ kind: "push", value }) as const) },
  { weight: 3, arbitrary: fc.integer().map((value) => ({ kind: "tryPush", value }) as const) },
  { weight: 5, arbitrary: fc.constant({ kind: "shift" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "peek" } as const) },
  { weight: 1, arbitrary: fc.nat({ max: 40 }).map((max) => ({ kind: "drain", max }) as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "clear" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "iterate" } as const) },
);

describe("RingBuffer against an array model", () => {
  it("behaves like a bounded array queue for random operation sequences", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 300 }), (capacity, ops) => {
        const ring = new RingBuffer<number>(capacity);
        const model: number[] = [];
        for (const o of ops) {
          switch (o.kind) {
            case "push":
              if (model.length < capacity) {
                ring.push(o.value);
                model.push(o.value);
              } else {
                expect(() => ring.push(o.value)).toThrow(/full/);
              }
              break;
            case "tryPush": {
              const fits = model.length < capacity;
              expect(ring.tryPush(o.value)).toBe(fits);
              if (fits) model.push(o.value);
              break;
            }
            case "shift":
              expect(ring.shift()).toBe(model.shift());
              break;
            case "peek":
              expect(ring.peek()).toBe(model[0]);
              break;
            case "drain":
              expect(ring.drain(o.max)).toEqual(model.splice(0, o.max));
              break;
            case "clear":
              ring.clear();
              model.length = 0;
              break;
            case "iterate":
              expect([...ring]).toEqual(model);
              break;
          }
          expect(ring.size).toBe(model.length);
          expect(ring.isEmpty).toBe(model.length === 0);
          expect(ring.isFull).toBe(model.length === capacity);
        }
        expect([...ring]).toEqual(model);
      }),
      { numRuns: 500 },
    );
  });
});
