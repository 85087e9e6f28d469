import { MqError } from "@mq/core";
import { describe, expect, it } from "vitest";
import { RecordingHandler } from "../test/helpers";
import { createFailpoints, failpointsFromEnv, parseFailpointSpec } from "./failpoint-spec";
import { createFilePersistence } from "./file-persistence";
import { createFaultFs } from "./fs/fault-fs";
import * as main from "./index";
import * as testing from "./testing";

describe("fault injection stays out of production", () => {
  it("the main entry carries no fault-injection helpers; @mq/journal/testing has them", () => {
    for (const name of ["createFaultFs", "createFailpoints", "failpointsFromEnv", "parseFailpointSpec", "FAILPOINT_ENV", "FAILPOINT_NAMES"]) {
      expect(main).not.toHaveProperty(name);
      expect(testing).toHaveProperty(name);
    }
  });

  it("createFilePersistence ignores MQ_FAILPOINT unless a hook is passed", async () => {
    const saved = process.env.MQ_FAILPOINT;
    // Malformed on purpose: reading it would throw; a valid spec would SIGKILL this test process.
    process.env.MQ_FAILPOINT = "not a spec!";
    try {
      const p = createFilePersistence({ dataDir: "/d", fs: createFaultFs(), snapshotEveryMs: 0 });
      await p.open(new RecordingHandler());
      expect(await p.append([1])).toBe(1);
      await p.close();
    } finally {
      if (saved === undefined) delete process.env.MQ_FAILPOINT;
      else process.env.MQ_FAILPOINT = saved;
    }
  });

  it("a hook passed explicitly sees every failpoint", async () => {
    const hook = createFailpoints("append.afterSync:2", () => undefined);
    const p = createFilePersistence({ dataDir: "/d", fs: createFaultFs(), snapshotEveryMs: 0, failpoints: hook });
    await p.open(new RecordingHandler());
    await p.append([1]);
    await p.append([2]);
    await p.close();
    expect(hook.hits["append.afterSync"]).toBe(2);
    expect(hook.hits["lock.afterCreate"]).toBe(1);
  });

  it("a malformed spec is an InvalidArgumentError, from the parser and from the environment", () => {
    for (const spec of ["", "append.afterWrite:x", "append.afterWrite:0", "a b", "append.afterWrite:1:2"]) {
      expect(() => parseFailpointSpec(spec)).toThrow(expect.objectContaining({ code: "MQ_INVALID_ARGUMENT" }) as Error);
    }
    let caught: unknown;
    try {
      failpointsFromEnv({ MQ_FAILPOINT: "bad spec" });
    } catch (error) {
      caught = error;
    }
    expect(MqError.hasCode(caught, "MQ_INVALID_ARGUMENT")).toBe(true);
    expect(failpointsFromEnv({})).toBeUndefined();
    expect(parseFailpointSpec("snapshot.afterRename")).toEqual({ name: "snapshot.afterRename", hit: 1 });
    expect(parseFailpointSpec(" append.afterWrite:3 ")).toEqual({ name: "append.afterWrite", hit: 3 });
  });
});
