import { describe, expect, it } from "vitest";
import { HostClosedError } from "../../errors/host-closed-error";
import { LeaseLostError } from "../../errors/lease-lost-error";
import { PersistenceError } from "../../errors/persistence-error";
import { QueueFullError } from "../../errors/queue-full-error";
import { TimeoutError } from "../../errors/timeout-error";
import { VersionConflictError } from "../../errors/version-conflict-error";
import { classifyError } from "./classify-error";

describe("classifyError", () => {
  it("treats rejections that apply nothing as definite failures", () => {
    expect(classifyError(new QueueFullError("q0", "messages", 10))).toEqual({ outcome: "fail", code: "MQ_QUEUE_FULL" });
    expect(classifyError(new LeaseLostError("rc1")).outcome).toBe("fail");
    expect(classifyError(new VersionConflictError("k", 1, 2)).outcome).toBe("fail");
  });

  it("treats storage errors, timeouts and unknown errors as indeterminate", () => {
    expect(classifyError(new PersistenceError("fdatasync failed", "EIO"))).toEqual({ outcome: "info", code: "MQ_PERSISTENCE" });
    expect(classifyError(new TimeoutError("enqueue", 100)).outcome).toBe("info");
    expect(classifyError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toEqual({ outcome: "info", code: "ECONNRESET" });
    expect(classifyError("boom")).toEqual({ outcome: "info", code: "UNKNOWN" });
  });

  it("treats HostClosedError as indeterminate only while shutting down", () => {
    const err = new HostClosedError("host", "stopping");
    expect(classifyError(err, { closing: true }).outcome).toBe("info");
    expect(classifyError(err).outcome).toBe("fail");
  });
});
