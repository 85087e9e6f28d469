import type { LogFields, Logger } from "@mq/core";
import { describe, expect, it } from "vitest";
import { buildSegment, framesFor, makeLayout, putSegment, RecordingHandler } from "../test/helpers";
import { createFilePersistence } from "./file-persistence";
import { createFaultFs } from "./fs/fault-fs";

function recordingLogger(): Logger & { lines: { level: string; fields: LogFields; message: string }[] } {
  const lines: { level: string; fields: LogFields; message: string }[] = [];
  const at = (level: string) => (fields: LogFields, message: string) => void lines.push({ level, fields, message });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

describe("logger option", () => {
  it("a fail-stop is logged once as an error, however many calls fail after it", async () => {
    const fs = createFaultFs();
    const logger = recordingLogger();
    const p = createFilePersistence({ dataDir: "/d", fs, snapshotEveryMs: 0, snapshotOnClose: false, logger });
    await p.open(new RecordingHandler());
    fs.inject({ op: "fdatasync", errno: "ENOSPC", persistent: true });
    await expect(p.append([1])).rejects.toMatchObject({ errno: "ENOSPC" });
    for (let i = 0; i < 20; i++) await expect(p.append([i])).rejects.toMatchObject({ errno: "FAIL_STOPPED" });
    const errors = logger.lines.filter((l) => l.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.fields).toMatchObject({ component: "journal", errno: "ENOSPC", dataDir: "/d" });
    expect(errors[0]!.message).toContain("fail-stop");
    await p.close();
  });

  it("a failed snapshot and a truncated torn tail are warnings; a throwing logger changes nothing", async () => {
    const fs = createFaultFs();
    await makeLayout(fs, "/d");
    const { bytes } = buildSegment(framesFor(1, 3));
    putSegment(fs, "/d", 1, bytes.subarray(0, bytes.length - 2));
    const logger = recordingLogger();
    const p = createFilePersistence({ dataDir: "/d", fs, snapshotEveryMs: 0, snapshotOnClose: false, logger });
    await p.open(new RecordingHandler());
    expect(logger.lines.map((l) => l.level)).toEqual(["warn"]);
    expect(logger.lines[0]!.fields).toMatchObject({ bytes: expect.any(Number) as number });
    fs.inject({ op: "fsync", errno: "EIO" });
    await expect(p.snapshot()).rejects.toMatchObject({ errno: "EIO" });
    expect(logger.lines.map((l) => l.level)).toEqual(["warn", "warn"]);
    await p.close();

    const throwing: Logger = { debug() {}, info() {}, warn: () => { throw new Error("logger down"); }, error: () => { throw new Error("logger down"); } };
    const q = createFilePersistence({ dataDir: "/d", fs, snapshotEveryMs: 0, snapshotOnClose: false, logger: throwing });
    await q.open(new RecordingHandler());
    fs.inject({ op: "fsync", errno: "EIO" });
    await expect(q.snapshot()).rejects.toMatchObject({ errno: "EIO" });
    expect(await q.append([4])).toBe(3);
    await q.close();
  });

  it("something that is not a logger is an InvalidOptionsError", () => {
    expect(() => createFilePersistence({ dataDir: "/d", logger: { warn() {} } as unknown as Logger })).toThrow(expect.objectContaining({ code: "MQ_INVALID_OPTIONS" }) as Error);
  });
});
