import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "./errors/invalid-argument-error";
import { RingError } from "./errors/ring-error";
import { RingFullError } from "./errors/ring-full-error";
import { MAX_RING_CAPACITY, RingBuffer } from "./ring-buffer";

describe("RingBuffer", () => {
  it("starts empty and reports the capacity as asked", () => {
    const ring = new RingBuffer<number>(5);
    expect(ring.capacity).toBe(5);
    expect(ring.size).toBe(0);
    expect(ring.isEmpty).toBe(true);
    expect(ring.isFull).toBe(false);
    expect(ring.shift()).toBeUndefined();
    expect(ring.peek()).toBeUndefined();
    expect([...ring]).toEqual([]);
  });

  it("enforces a non-power-of-two capacity exactly", () => {
    const ring = new RingBuffer<number>(5);
    for (let i = 0; i < 5; i++) expect(ring.tryPush(i)).toBe(true);
    expect(ring.isFull).toBe(true);
    expect(ring.tryPush(5)).toBe(false);
    expect(() => ring.push(5)).toThrow(RingFullError);
    expect([...ring]).toEqual([0, 1, 2, 3, 4]);
  });

  it("throws a typed, coded error when full", () => {
    const ring = new RingBuffer<string>(1);
    ring.push("a");
    let caught: unknown;
    try {
      ring.push("b");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RingFullError);
    expect(RingError.isInstance(caught)).toBe(true);
    expect(caught).toMatchObject({ name: "RingFullError", code: "MQ_RING_FULL", capacity: 1 });
    expect((caught as Error).message).toMatch(/^\[mq:ring\] .*capacity 1/);
    expect(ring.shift()).toBe("a");
  });

  it("works at capacity 1", () => {
    const ring = new RingBuffer<number>(1);
    for (let i = 0; i < 10; i++) {
      ring.push(i);
      expect(ring.isFull).toBe(true);
      expect(ring.peek()).toBe(i);
      expect(ring.tryPush(-1)).toBe(false);
      expect(ring.shift()).toBe(i);
      expect(ring.isEmpty).toBe(true);
    }
  });

  it("keeps FIFO order across wrap-around", () => {
    const ring = new RingBuffer<number>(4);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      while (ring.tryPush(next)) next++;
      expect(ring.size).toBe(4);
      const take = (round % 4) + 1;
      for (let i = 0; i < take; i++) expect(ring.shift()).toBe(expected++);
      expect([...ring]).toEqual(Array.from({ length: next - expected }, (_, i) => expected + i));
    }
  });

  it("grows its storage beyond the initial slots without losing order", () => {
    const ring = new RingBuffer<number>(1000);
    // Offset the head first so growth has to unwrap a wrapped ring.
    for (let i = 0; i < 10; i++) ring.push(-1);
    ring.drain(10);
    for (let i = 0; i < 1000; i++) ring.push(i);
    expect(ring.tryPush(1000)).toBe(false);
    expect(ring.drain()).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it("drains up to n items, oldest first", () => {
    const ring = new RingBuffer<number>(8);
    for (let i = 0; i < 6; i++) ring.push(i);
    expect(ring.drain(0)).toEqual([]);
    expect(ring.drain(4)).toEqual([0, 1, 2, 3]);
    expect(ring.drain(10)).toEqual([4, 5]);
    expect(ring.drain(Number.POSITIVE_INFINITY)).toEqual([]);
    expect(ring.isEmpty).toBe(true);
    expect(() => ring.drain(-1)).toThrow(InvalidArgumentError);
    expect(() => ring.drain(1.5)).toThrow(InvalidArgumentError);
  });

  it("clears and is reusable", () => {
    const ring = new RingBuffer<number>(3);
    ring.push(1);
    ring.push(2);
    ring.shift();
    ring.push(3);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.peek()).toBeUndefined();
    for (let i = 10; i < 13; i++) ring.push(i);
    expect([...ring]).toEqual([10, 11, 12]);
  });

  it("releases shifted, drained and cleared items so they can be garbage-collected", async () => {
    const gc = exposeGc();
    const ring = new RingBuffer<object>(8);
    const refs = fill(ring, 6);
    ring.shift();
    ring.drain(2);
    ring.clear();
    ring.push({}); // keep the ring itself in use
    await new Promise((resolve) => setImmediate(resolve)); // WeakRef targets live until the job ends
    gc();
    expect(refs.map((ref) => ref.deref())).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(ring.size).toBe(1);
  });

  it("iterates without removing", () => {
    const ring = new RingBuffer<string>(3);
    ring.push("a");
    ring.push("b");
    expect([...ring]).toEqual(["a", "b"]);
    expect(Array.from(ring)).toEqual(["a", "b"]);
    expect(ring.size).toBe(2);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_RING_CAPACITY + 1, "4"])("rejects capacity %s with a clear error", (capacity) => {
    expect(() => new RingBuffer(capacity as number)).toThrow(InvalidArgumentError);
    expect(() => new RingBuffer(capacity as number)).toThrow(/^\[mq:ring\] capacity must be an integer from 1 to 1073741824/);
  });

  it("accepts the largest capacity without allocating it up front", () => {
    const ring = new RingBuffer<number>(MAX_RING_CAPACITY);
    ring.push(1);
    expect(ring.capacity).toBe(MAX_RING_CAPACITY);
    expect(ring.shift()).toBe(1);
  });
});

function exposeGc(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

function fill(ring: RingBuffer<object>, count: number): WeakRef<object>[] {
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < count; i++) {
    const item = { i };
    refs.push(new WeakRef(item));
    ring.push(item);
  }
  return refs;
}
