import { describe, expect, it } from "vitest";
import { DEFAULT_MESSAGES, parseArgs, parseOnly, UsageError } from "./args";

const run = (argv: string[]) => {
  const parsed = parseArgs(argv, "/out");
  if (parsed.help) throw new Error("unexpected help");
  return parsed.options;
};

describe("parseArgs", () => {
  it("defaults to both products, 100k messages and the default out folder", () => {
    const o = run([]);
    expect(o.only).toEqual(["mq", "mq-redis", "bullmq"]);
    expect(o.sizes).toEqual({ single: DEFAULT_MESSAGES / 20, bulk: DEFAULT_MESSAGES, drain: DEFAULT_MESSAGES, latency: 3_000, latencyRate: 1_000, capSeconds: 40 });
    expect(o.redisSizes).toEqual({ single: 1_000, bulk: 20_000, drain: 20_000, latency: 3_000, latencyRate: 1_000, capSeconds: 40 });
    expect(o.fdatasyncSamples).toBe(2_000);
    expect(o.outDir).toBe("/out");
  });

  it("--quick shrinks every size, --messages overrides it", () => {
    expect(run(["--quick"]).sizes.drain).toBe(5_000);
    expect(run(["--quick"]).sizes.latency).toBe(500);
    const o = run(["--quick", "--messages", "20_000"]);
    expect(o.sizes.drain).toBe(20_000);
    expect(o.sizes.single).toBe(1_000);
  });

  it("accepts --only and --out, ignores a bare -- from pnpm", () => {
    const o = run(["--", "--only", "bullmq", "--out", "/tmp/x"]);
    expect(o.only).toEqual(["bullmq"]);
    expect(o.outDir).toBe("/tmp/x");
  });

  it("--redis-messages sizes the Redis peers; by default they run a fifth, in whole batches", () => {
    expect(run(["--redis-messages", "3000"]).redisSizes).toMatchObject({ bulk: 3_000, drain: 3_000, single: 150 });
    expect(run(["--messages", "1234"]).redisSizes.bulk).toBe(200);
    expect(run(["--quick"]).redisSizes).toMatchObject({ bulk: 1_000, single: 100, latency: 500 });
  });

  it("--only takes products, comma lists and redis for both Redis products", () => {
    expect(parseOnly(undefined)).toEqual(["mq", "mq-redis", "bullmq"]);
    expect(parseOnly("mq-redis")).toEqual(["mq-redis"]);
    expect(parseOnly("redis")).toEqual(["mq-redis", "bullmq"]);
    expect(parseOnly("bullmq, mq")).toEqual(["mq", "bullmq"]);
  });

  it("returns help for -h", () => {
    expect(parseArgs(["-h"], "/out")).toEqual({ help: true });
  });

  it.each([
    [["--messages", "0"]],
    [["--messages", "12x"]],
    [["--messages", "50"]],
    [["--only", "postgres"]],
    [["--only", "mq,kafka"]],
    [["--redis-messages", "50"]],
    [["--cap", "-1"]],
    [["--frobnicate"]],
  ])("rejects %j with a UsageError", (argv) => {
    expect(() => parseArgs(argv, "/out")).toThrow(UsageError);
  });
});
