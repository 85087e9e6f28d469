import { MqError, type InvalidOptionsError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { createFilePersistence } from "./file-persistence";
import { createMemoryPersistence } from "./memory/memory-persistence";

function problems(fn: () => unknown): InvalidOptionsError {
  try {
    fn();
  } catch (error) {
    expect(MqError.hasCode(error, "MQ_INVALID_OPTIONS")).toBe(true);
    return error as InvalidOptionsError;
  }
  throw new Error("no error");
}

describe("options", () => {
  it("lists every problem with its path", () => {
    const err = problems(() =>
      createFilePersistence({ dataDir: "", durability: "sometimes", intervalMs: 0, segmentBytes: 10, keepSnapshots: 0, onCorruption: "ignore", extra: 1 } as never),
    );
    const paths = err.issues.map((i) => i.path).sort();
    expect(paths).toEqual(["dataDir", "durability", "extra", "intervalMs", "keepSnapshots", "onCorruption", "segmentBytes"].sort());
    expect(err.message).toContain("durability");
  });

  it("requires dataDir", () => {
    expect(problems(() => createFilePersistence({} as never)).issues[0]!.path).toBe("dataDir");
  });

  it("fills defaults and exposes the resolved options", () => {
    const p = createFilePersistence({ dataDir: "/tmp/x" });
    expect(p.options).toMatchObject({ durability: "batch", intervalMs: 100, segmentBytes: 64 * 1024 * 1024, snapshotOnClose: true, keepSnapshots: 2, onCorruption: "fail" });
    expect(p.durability).toBe("batch");
    expect(p.kind).toBe("file");
  });

  it("validates the memory adapter's options too", () => {
    expect(problems(() => createMemoryPersistence({ keepSnapshots: -1 })).issues[0]!.path).toBe("keepSnapshots");
    expect(createMemoryPersistence().durability).toBe("none");
  });
});
