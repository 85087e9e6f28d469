import { afterEach, describe, expect, it, vi } from "vitest";
import { deferred, flush } from "../test/support/harness";
import { installSignalHandlers } from "./signal-handlers";

// The signals are emitted on `process` directly: no real signal is sent.
describe("installSignalHandlers", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("rejects an unknown option key, naming it, and installs nothing", () => {
    const before = process.listenerCount("SIGTERM");
    expect(() => installSignalHandlers({ stop: () => Promise.resolve() }, { drainTimeout: 5 } as never)).toThrow('[mq:installSignalHandlers] options.drainTimeout: is not a known option (did you mean "drainTimeoutMs"?)');
    expect(process.listenerCount("SIGTERM")).toBe(before);
  });

  it("stops gracefully on the first signal, then exits 0", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const stopped = deferred();
    const stop = vi.fn((_options?: { drainTimeoutMs?: number }) => stopped.promise);
    const uninstall = installSignalHandlers({ stop }, { signals: ["SIGUSR2"], drainTimeoutMs: 1_234 });
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      expect(stop).toHaveBeenCalledWith({ drainTimeoutMs: 1_234 });
      await flush();
      expect(exit).not.toHaveBeenCalled();
      stopped.resolve();
      await flush();
      expect(exit).toHaveBeenCalledWith(0);
    } finally {
      uninstall();
    }
  });

  it("exits at once on a second signal", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const stop = vi.fn(() => new Promise<void>(() => undefined));
    const uninstall = installSignalHandlers({ stop }, { signals: ["SIGUSR2"] });
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      process.emit("SIGUSR2", "SIGUSR2");
      expect(stop).toHaveBeenCalledTimes(1);
      expect(exit).toHaveBeenCalledWith(128 + 12);
    } finally {
      uninstall();
    }
  });

  it("exits 1 when the stop fails, and does nothing with exit: false", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const uninstall = installSignalHandlers({ stop: () => Promise.reject(new Error("boom")) }, { signals: ["SIGUSR2"] });
    process.emit("SIGUSR2", "SIGUSR2");
    await flush();
    uninstall();
    expect(exit).toHaveBeenCalledWith(1);

    exit.mockClear();
    const stop = vi.fn(() => Promise.resolve());
    const uninstallQuiet = installSignalHandlers({ stop }, { signals: ["SIGUSR2"], exit: false });
    process.emit("SIGUSR2", "SIGUSR2");
    await flush();
    uninstallQuiet();
    expect(stop).toHaveBeenCalledWith(undefined);
    expect(exit).not.toHaveBeenCalled();
  });

  it("uninstalls its listeners", () => {
    const before = process.listenerCount("SIGUSR2");
    const uninstall = installSignalHandlers({ stop: () => Promise.resolve() }, { signals: ["SIGUSR2"] });
    expect(process.listenerCount("SIGUSR2")).toBe(before + 1);
    uninstall();
    expect(process.listenerCount("SIGUSR2")).toBe(before);
  });
});
