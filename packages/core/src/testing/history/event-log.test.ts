import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createEventLog, serializeEvent } from "./event-log";
import type { Ev } from "./events";
import { parseEventLog, readEventLogs } from "./read-log";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "mq-history-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("createEventLog + readEventLogs", () => {
  it("round-trips events with bigint times, in write order", () => {
    const file = join(tempDir(), "p1.jsonl");
    const log = createEventLog(file);
    const written = [
      log.write({ k: "enq.invoke", op: "e1", queue: "q0", items: [{ tok: "p1:1", prio: 3, key: "k", mode: "drop", delayMs: 5 }] }),
      log.write({ k: "enq.ok", op: "e1", results: [{ tok: "p1:1", id: "m1", result: "created", version: 1 }] }),
      log.write({ k: "crash", gen: 1 }),
    ];
    log.close();
    expect(() => log.write({ k: "restart", gen: 2 })).toThrow(/closed/);
    const read = readEventLogs([file]);
    expect(read).toEqual(written);
    expect(typeof read[0]?.t).toBe("bigint");
    expect(read[0]?.t).toBeLessThan(read[1]?.t ?? 0n);
    expect(readFileSync(file, "utf8")).toMatch(/"t":"\d+"/);
  });

  it("appends to an existing log instead of truncating it", () => {
    const file = join(tempDir(), "p1.jsonl");
    const a = createEventLog(file);
    a.write({ k: "crash", gen: 1 });
    a.close();
    const b = createEventLog(file);
    b.write({ k: "restart", gen: 2 });
    b.close();
    expect(readEventLogs([file]).map((e) => e.k)).toEqual(["crash", "restart"]);
  });

  it("ignores an incomplete last line (the writer was killed mid-write)", () => {
    const file = join(tempDir(), "p1.jsonl");
    const log = createEventLog(file);
    log.write({ k: "recv.invoke", rop: "r1", consumer: "c1", queue: "q0" });
    log.close();
    appendFileSync(file, '{"k":"recv.ok","rop":"r1","d":[{"id":"m1","to');
    expect(readEventLogs([file]).map((e) => e.k)).toEqual(["recv.invoke"]);
  });

  it("rejects a corrupt line that is not the last one, naming file and line", () => {
    const file = join(tempDir(), "bad.jsonl");
    writeFileSync(file, '{"k":"crash","gen":1,"t":"5"}\n{"k":"crash",\n{"k":"restart","gen":2,"t":"6"}\n');
    expect(() => readEventLogs([file])).toThrow(/bad\.jsonl:2: not JSON/);
    expect(() => parseEventLog('{"k":"nope","t":"1"}\n')).toThrow(/unknown kind nope/);
    expect(() => parseEventLog('{"k":"crash","gen":1}\n')).toThrow(/missing t/);
  });

  it("merges several processes' logs by monotonic time", () => {
    const dir = tempDir();
    const line = (ev: Ev): string => `${serializeEvent(ev)}\n`;
    writeFileSync(join(dir, "a.jsonl"), line({ k: "crash", gen: 1, t: 10n }) + line({ k: "crash", gen: 3, t: 30n }));
    writeFileSync(join(dir, "b.jsonl"), line({ k: "restart", gen: 2, t: 20n }) + line({ k: "restart", gen: 4, t: 30n }));
    const merged = readEventLogs([join(dir, "a.jsonl"), join(dir, "b.jsonl")]);
    expect(merged.map((e) => ("gen" in e ? e.gen : -1))).toEqual([1, 2, 3, 4]);
  });
});
