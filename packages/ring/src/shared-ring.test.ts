import { describe, expect, it } from "vitest";
import { AbortedError } from "./errors/aborted-error";
import { InvalidArgumentError } from "./errors/invalid-argument-error";
import { RecordTooLargeError } from "./errors/record-too-large-error";
import { RingError } from "./errors/ring-error";
import { TimeoutError } from "./errors/timeout-error";
import { H_DEQUEUE, H_ENQUEUE, HEADER_BYTES, strideBytes } from "./_shared-ring-layout";
import { SharedRing } from "./shared-ring";

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe("SharedRing in one thread", () => {
  it("moves records in FIFO order, each a fresh copy of its bytes", () => {
    const ring = SharedRing.create({ slots: 4, slotSize: 8 });
    const source = bytes(1, 2, 3);
    expect(ring.tryWrite(source)).toBe(true);
    source[0] = 99; // the ring copied on write
    expect(ring.tryWrite(bytes())).toBe(true);
    expect(ring.tryWrite(bytes(7, 7, 7, 7, 7, 7, 7, 7))).toBe(true);
    expect(ring.size).toBe(3);
    expect(ring.tryRead()).toEqual(bytes(1, 2, 3));
    expect(ring.tryRead()).toEqual(bytes());
    const last = ring.tryRead()!;
    expect(last).toEqual(bytes(7, 7, 7, 7, 7, 7, 7, 7));
    expect(last.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(ring.tryRead()).toBeUndefined();
    expect(ring.size).toBe(0);
  });

  it("keeps at least two slots, so a one-slot request never overwrites", () => {
    const ring = SharedRing.create({ slots: 1, slotSize: 4 });
    expect(ring.slots).toBe(2);
    expect(ring.tryWrite(bytes(1))).toBe(true);
    expect(ring.tryWrite(bytes(2))).toBe(true);
    expect(ring.tryWrite(bytes(3))).toBe(false);
    expect(ring.tryRead()).toEqual(bytes(1));
    expect(ring.tryRead()).toEqual(bytes(2));
  });

  it("reports full without overwriting, across many laps", () => {
    const ring = SharedRing.create({ slots: 3, slotSize: 4 });
    expect(ring.slots).toBe(4); // rounded up to a power of two
    let written = 0;
    let read = 0;
    for (let lap = 0; lap < 100; lap++) {
      while (ring.tryWrite(bytes(written & 255, lap & 255))) written++;
      expect(ring.size).toBe(4);
      expect(ring.tryWrite(bytes(0))).toBe(false);
      for (let i = 0; i < 3; i++) expect(ring.tryRead()?.[0]).toBe(read++ & 255);
    }
    expect(written - read).toBe(1);
  });

  it("keeps order and capacity when the Int32 positions wrap around", () => {
    const ring = SharedRing.create({ slots: 4, slotSize: 4 });
    // Move both positions to just below 2^31, as if 2^31 - 6 records had passed.
    const words = new Int32Array(ring.buffer);
    const start = 2 ** 31 - 6;
    words[H_ENQUEUE] = start;
    words[H_DEQUEUE] = start;
    for (let i = 0; i < 4; i++) {
      const pos = (start + i) | 0;
      words[HEADER_BYTES / 4 + (pos & 3) * (strideBytes(4) / 4)] = pos;
    }
    let written = 0;
    let read = 0;
    for (let round = 0; round < 10; round++) {
      while (ring.tryWrite(bytes(written & 255))) written++;
      expect(ring.size).toBe(4);
      for (let i = 0; i < 3; i++) expect(ring.tryRead()).toEqual(bytes(read++ & 255));
    }
    expect(words[H_ENQUEUE]).toBeLessThan(0); // really wrapped
    expect(ring.size).toBe(1);
  });

  it("rejects a record larger than slotSize with a typed error and writes nothing", async () => {
    const ring = SharedRing.create({ slots: 2, slotSize: 4 });
    let caught: unknown;
    try {
      ring.tryWrite(new Uint8Array(5));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RecordTooLargeError);
    expect(RingError.isInstance(caught)).toBe(true);
    expect(caught).toMatchObject({ code: "MQ_RECORD_TOO_LARGE", bytes: 5, limit: 4 });
    expect((caught as Error).message).toMatch(/^\[mq:ring\] record of 5 bytes exceeds the slot size of 4; .*slotSize/);
    expect(() => ring.writeSync(new Uint8Array(5))).toThrow(RecordTooLargeError);
    await expect(ring.write(new Uint8Array(5))).rejects.toBeInstanceOf(RecordTooLargeError);
    expect(ring.size).toBe(0);
    expect(ring.tryWrite(new Uint8Array(4))).toBe(true);
  });

  it("attaches to the buffer of another ring and shares its records", () => {
    const ring = SharedRing.create({ slots: 8, slotSize: 16 });
    const other = SharedRing.attach(ring.buffer);
    expect(other.slots).toBe(8);
    expect(other.slotSize).toBe(16);
    ring.tryWrite(bytes(4, 2));
    expect(other.size).toBe(1);
    expect(other.tryRead()).toEqual(bytes(4, 2));
    other.tryWrite(bytes(9));
    expect(ring.tryRead()).toEqual(bytes(9));
  });

  it("refuses to attach to a buffer that is not a ring", () => {
    expect(() => SharedRing.attach(new SharedArrayBuffer(8))).toThrow(InvalidArgumentError);
    expect(() => SharedRing.attach(new SharedArrayBuffer(4096))).toThrow(/not a SharedRing buffer/);
    expect(() => SharedRing.attach(new ArrayBuffer(4096) as unknown as SharedArrayBuffer)).toThrow(/needs the SharedArrayBuffer/);
    const ring = SharedRing.create({ slots: 2, slotSize: 8 });
    const header = new Int32Array(ring.buffer);
    header[1] = 99;
    expect(() => SharedRing.attach(ring.buffer)).toThrow(/layout version 99/);
  });

  it.each([
    [{ slots: 0, slotSize: 8 }, /slots must be an integer/],
    [{ slots: 1.5, slotSize: 8 }, /slots must be an integer/],
    [{ slots: 2 ** 24 + 1, slotSize: 8 }, /slots must be an integer/],
    [{ slots: 4, slotSize: 0 }, /slotSize must be an integer/],
    [{ slots: 2 ** 20, slotSize: 2 ** 12 }, /more than the \d+ a ring may use/],
  ])("rejects options %o", (options, message) => {
    expect(() => SharedRing.create(options)).toThrow(InvalidArgumentError);
    expect(() => SharedRing.create(options)).toThrow(message);
  });

  it("resolves an awaited read when a record arrives later", async () => {
    const ring = SharedRing.create({ slots: 2, slotSize: 4 });
    const pending = ring.read({ timeoutMs: 5_000 });
    setTimeout(() => ring.tryWrite(bytes(5)), 20);
    await expect(pending).resolves.toEqual(bytes(5));
  });

  it("resolves an awaited write when a slot frees up later", async () => {
    const ring = SharedRing.create({ slots: 2, slotSize: 4 });
    await ring.write(bytes(1));
    await ring.write(bytes(2));
    let done = false;
    const pending = ring.write(bytes(3), { timeoutMs: 5_000 }).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(done).toBe(false);
    expect(ring.tryRead()).toEqual(bytes(1));
    await pending;
    expect(ring.tryRead()).toEqual(bytes(2));
    expect(ring.tryRead()).toEqual(bytes(3));
  });

  it("waits with a timeout beyond the 24.8-day timer limit without a timer overflow", async () => {
    const ring = SharedRing.create({ slots: 2, slotSize: 4 });
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const pending = ring.read({ timeoutMs: 2 ** 40 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      ring.tryWrite(bytes(8));
      await expect(pending).resolves.toEqual(bytes(8));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).not.toContain("TimeoutOverflowWarning");
  });

  it("times out an awaited read on an empty ring with TimeoutError", async () => {
    const ring = SharedRing.create({ slots: 2, slotSize: 4 });
    const started = performance.now();
    const error = await ring.read({ timeoutMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: "MQ_TIMEOUT", timeoutMs: 30 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("times out an awaited write on a full ring with TimeoutError", async () => {
    const ring = SharedRing.create({ slots: 2, slotSize: 4 });
    ring.tryWrite(bytes(1));
    ring.tryWrite(bytes(2));
    await expect(ring.write(bytes(3), { timeoutMs: 0 })).rejects.toMatchObject({ code: "MQ_TIMEOUT" });
    await expect(ring.write(bytes(3), { timeoutMs: 20 })).rejects.toBeInstanceOf(TimeoutError);
    expect(ring.tryRead()).toEqual(bytes(1));
    expect(ring.tryRead()).toEqual(bytes(2));
    expect(ring.tryRead()).toBeUndefined();
  });

  it("aborts an awaited read with AbortedError carrying the reason, and the ring still works", async () => {
    const ring = SharedRing.create({ slots: 2, slotSize: 4 });
    const controller = new AbortController();
    const pending = ring.read({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error("shutting down")), 10);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect(error).toMatchObject({ code: "MQ_ABORTED", cause: new Error("shutting down") });
    await expect(ring.read({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    const next = ring.read({ timeoutMs: 5_000 });
    ring.tryWrite(bytes(3));
    await expect(next).resolves.toEqual(bytes(3));
  });

  it("aborts an awaited write without writing", async () => {
    const ring = SharedRing.create({ slots: 2, slotSize: 4 });
    ring.tryWrite(bytes(1));
    ring.tryWrite(bytes(2));
    const controller = new AbortController();
    const pending = ring.write(bytes(3), { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(ring.tryRead()).toEqual(bytes(1));
    expect(ring.tryRead()).toEqual(bytes(2));
    expect(ring.tryRead()).toBeUndefined();
  });

  it("times out readSync and writeSync with TimeoutError", () => {
    const ring = SharedRing.create({ slots: 2, slotSize: 4 });
    expect(() => ring.readSync(10)).toThrow(TimeoutError);
    ring.writeSync(bytes(1), 10);
    ring.writeSync(bytes(2), 10);
    expect(() => ring.writeSync(bytes(3), 10)).toThrow(/writeSync timed out after 10 ms/);
    expect(ring.readSync(10)).toEqual(bytes(1));
    expect(ring.readSync(0)).toEqual(bytes(2));
  });

  it("validates timeoutMs", async () => {
    const ring = SharedRing.create({ slots: 2, slotSize: 4 });
    expect(() => ring.readSync(-1)).toThrow(InvalidArgumentError);
    await expect(ring.read({ timeoutMs: Number.NaN })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
