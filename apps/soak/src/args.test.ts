import { describe, expect, it } from "vitest";
import { HELP, parseArgs, UsageError } from "./args";
import { DEFAULTS } from "./options";

const opts = (...argv: string[]) => {
  const parsed = parseArgs(argv);
  if (parsed.help) throw new Error("unexpected help");
  return parsed.options;
};

describe("parseArgs", () => {
  it("uses the defaults of a custom run", () => {
    expect(opts()).toEqual(DEFAULTS);
  });

  it("accepts the '--' pnpm passes through, and durations with units", () => {
    const o = opts("--", "--duration", "90s", "--lease", "1500ms", "--kill-every", "2s-3.5s");
    expect(o.durationMs).toBe(90_000);
    expect(o.leaseMs).toBe(1_500);
    expect(o.killEveryMs).toEqual([2_000, 3_500]);
  });

  it("sets row S1 for --mode short, and later options override the mode", () => {
    const o = opts("--mode", "short");
    expect(o).toMatchObject({ mode: "short", durationMs: 90_000, killEveryMs: [2_000, 3_500], sigstops: 1, crashPoison: true, minKills: 25 });
    expect(o.tornEvery).toBeGreaterThan(0);
    expect(opts("--mode", "short", "--duration", "30s").durationMs).toBe(30_000);
  });

  it("turns the M1 memory check on for s2 and s3", () => {
    expect(opts("--mode", "s2")).toMatchObject({ durationMs: 3_600_000, memCheck: true, memSlopeMaxMbPerHour: 2, minKills: 200 });
    expect(opts("--mode", "s3")).toMatchObject({ durationMs: 86_400_000, memCheck: true, memSlopeMaxMbPerHour: 1, minKills: 1_000 });
  });

  it("reads ranges, flags and choices", () => {
    const o = opts("--payload-bytes", "100-2000", "--no-kill", "--torn-tail", "--crash-poison", "--durability", "always", "--progress", "lines", "--sigstop", "2");
    expect(o).toMatchObject({ payloadMin: 100, payloadMax: 2_000, killEveryMs: [0, 0], tornEvery: 5, crashPoison: true, durability: "always", progress: "lines", sigstops: 2 });
    expect(opts("--torn-every", "3").tornEvery).toBe(3);
  });

  it("returns help for -h and --help", () => {
    expect(parseArgs(["-h"])).toEqual({ help: true });
    expect(parseArgs(["--help"])).toEqual({ help: true });
  });

  it.each([
    [["--duration", "soon"]],
    [["--producers", "-1"]],
    [["--rate", "1.5"]],
    [["--mode", "s9"]],
    [["--kill-every", "5s-2s"]],
    [["--durability", "never"]],
    [["--unknown"]],
    [["--fail-ratio", "2"]],
    [["--payload-bytes", "10-20-30"]],
    [["positional"]],
  ])("rejects %j with a UsageError", (argv) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
  });

  it("documents every option in --help", () => {
    const names = ["--mode", "--duration", "--producers", "--consumers", "--rate", "--batch-max", "--receive-max", "--payload-bytes", "--keys-replace", "--keys-drop", "--drop-window", "--delay-ratio", "--max-delay", "--fail-ratio", "--dlq-ratio", "--publish-ratio", "--extend-ratio", "--max-attempts", "--lease", "--durability", "--segment-bytes", "--snapshot-every-ops", "--kill-every", "--no-kill", "--sigterm-every", "--sigstop", "--torn-tail", "--torn-every", "--crash-poison", "--crash-poison-every", "--min-kills", "--mem-check", "--mem-interval", "--mem-slope-max", "--out", "--keep-data", "--progress", "--help"];
    for (const name of names) expect(HELP).toContain(name);
  });
});
