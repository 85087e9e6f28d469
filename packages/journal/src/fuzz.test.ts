import { MqError } from "@mq/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildSegment, framesFor, ns, range, tryOpen } from "../test/helpers";
import { decode } from "./codec";
import { createFaultFs } from "./fs/fault-fs";
import { segmentName } from "./layout";
import { scanSegment } from "./segment-scan";

const LONG = Boolean(process.env.MQ_LONG);
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.bigInt(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.date({ noInvalidDate: true }),
    fc.uint8Array({ maxLength: 16 }),
  ),
  node: fc.oneof({ depthSize: "small" }, tie("leaf"), fc.array(tie("node"), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== "__proto__"), tie("node"), { maxKeys: 4 })),
})).node;

function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $b: [...v] };
  if (v instanceof Date) return { $d: v.getTime() };
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  if (typeof v === "number" && Object.is(v, -0)) return 0; // msgpack has no negative zero
  return v;
}

describe("Z1: frame codec", () => {
  it("decode(encode(ops)) = ops for random op batches", () => {
    fc.assert(
      fc.property(fc.array(fc.array(value, { maxLength: 5 }), { minLength: 1, maxLength: 6 }), (batches) => {
        const { bytes } = buildSegment(batches.map((ops, i) => ({ lsn: i + 1, ops })));
        const got: unknown[] = [];
        const scan = scanSegment(bytes, { last: true, skip: false, prevLsn: 0, onFrame: (_l, s, e) => got.push(decode(bytes.subarray(s, e))) });
        expect(scan.validEnd).toBe(bytes.length);
        expect(normalize(got)).toEqual(normalize(batches));
      }),
      { numRuns: LONG ? 10_000 : 1_000 },
    );
  });

  it("random bytes never throw from the scanner and never yield a frame", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.boolean(), (raw, last) => {
        let frames = 0;
        scanSegment(Buffer.from(raw), { last, skip: true, prevLsn: 0, onFrame: () => frames++ });
        expect(frames).toBe(0);
      }),
      { numRuns: LONG ? 100_000 : 20_000 },
    );
  });

  it("random segment bytes make open() succeed or fail with JournalCorruptError, nothing else", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (raw) => {
        const fs = createFaultFs();
        await fs.mkdir("/d/journal");
        await fs.mkdir("/d/snapshots");
        fs.writeFileSync(`/d/journal/${segmentName(1)}`, raw);
        const r = await tryOpen({ dataDir: "/d", fs, snapshotOnClose: false });
        if ("error" in r) expect(MqError.hasCode(r.error, "MQ_JOURNAL_CORRUPT")).toBe(true);
        else await r.p.close();
      }),
      { numRuns: LONG ? 20_000 : 500 },
    );
  });
});

type Mutation =
  | { kind: "truncate"; seg: number; at: number }
  | { kind: "flip"; seg: number; at: number; bit: number }
  | { kind: "zero"; seg: number; at: number; len: number }
  | { kind: "duplicate"; seg: number; frame: number }
  | { kind: "swap"; a: number; b: number }
  | { kind: "delete"; seg: number }
  | { kind: "garbage"; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), seg: fc.nat(3), at: fc.double({ min: 0, max: 1, noNaN: true }).map((x) => x) }),
  fc.record({ kind: fc.constant("flip" as const), seg: fc.nat(3), at: fc.double({ min: 0, max: 1, noNaN: true }), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("zero" as const), seg: fc.nat(3), at: fc.double({ min: 0, max: 1, noNaN: true }), len: fc.integer({ min: 1, max: 600 }) }),
  fc.record({ kind: fc.constant("duplicate" as const), seg: fc.nat(3), frame: fc.nat(9) }),
  fc.record({ kind: fc.constant("swap" as const), a: fc.nat(3), b: fc.nat(3) }),
  fc.record({ kind: fc.constant("delete" as const), seg: fc.nat(3) }),
  fc.record({ kind: fc.constant("garbage" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
);

describe("Z2: random journal mutations", () => {
  it("open() returns a gap-free prefix of what was written, or throws JournalCorruptError", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const fs = createFaultFs();
        await fs.mkdir("/d/journal");
        await fs.mkdir("/d/snapshots");
        const segs = [1, 11, 21, 31].map((first) => {
          const { bytes, offsets } = buildSegment(framesFor(first, first + 9, 20));
          return { name: `/d/journal/${segmentName(first)}`, bytes: Uint8Array.from(bytes), offsets };
        });
        for (const m of mutations) {
          if (m.kind === "swap") {
            const a = segs[m.a]!;
            const b = segs[m.b]!;
            [a.bytes, b.bytes] = [b.bytes, a.bytes];
            continue;
          }
          if (m.kind === "garbage") {
            const last = segs[segs.length - 1]!;
            last.bytes = Uint8Array.from([...last.bytes, ...m.bytes]);
            continue;
          }
          const seg = segs[m.seg % segs.length]!;
          if (m.kind === "delete") seg.bytes = new Uint8Array(0);
          else if (m.kind === "truncate") seg.bytes = seg.bytes.subarray(0, Math.floor(m.at * seg.bytes.length));
          else if (m.kind === "flip" && seg.bytes.length > 0) seg.bytes[Math.floor(m.at * seg.bytes.length)]! ^= 1 << m.bit;
          else if (m.kind === "zero") seg.bytes.fill(0, Math.floor(m.at * seg.bytes.length), Math.floor(m.at * seg.bytes.length) + m.len);
          else if (m.kind === "duplicate") {
            const start = seg.offsets[m.frame];
            const end = seg.offsets[m.frame + 1] ?? seg.bytes.length;
            if (start !== undefined && end <= seg.bytes.length) seg.bytes = Uint8Array.from([...seg.bytes.subarray(0, end), ...seg.bytes.subarray(start, end), ...seg.bytes.subarray(end)]);
          }
        }
        for (const s of segs) if (s.bytes.length > 0 || !mutations.some((m) => m.kind === "delete")) fs.writeFileSync(s.name, s.bytes);
        const r = await tryOpen({ dataDir: "/d", fs, snapshotOnClose: false });
        if ("error" in r) {
          expect(MqError.hasCode(r.error, "MQ_JOURNAL_CORRUPT"), String(r.error)).toBe(true);
          return;
        }
        const got = ns(r.h);
        expect(got).toEqual(range(1, got.length));
        await r.p.close();
      }),
      { numRuns: LONG ? 100_000 : 2_000 },
    );
  });
});
