import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createQueueHost } from "@mq/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisBackend } from "../src/index";
import { RedisServer, REDIS_SERVER, SKIP_REASON } from "./redis-server";

// Three processes run hosts on one Redis while a schedule fires every 100 ms;
// one is SIGKILLed midway. Every fire time from the first to the last is
// enqueued exactly once: the fire time is the dedup key.
const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Child {
  readonly proc: ChildProcess;
  readonly started: Promise<void>;
  readonly exited: Promise<number | null>;
}

function startChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/schedule-host.ts")], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "inherit"] });
  proc.stdout.setEncoding("utf8");
  const started = new Promise<void>((resolve) => proc.stdout.on("data", (s: string) => s.includes("started") && resolve()));
  return { proc, started, exited: new Promise((r) => proc.once("exit", (code) => r(code))) };
}

if (REDIS_SERVER === undefined) {
  describe("redis schedules across processes", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let server: RedisServer;
  const children: Child[] = [];
  beforeAll(async () => {
    server = await RedisServer.start({ appendfsync: "everysec" });
  });
  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
    await server?.destroy();
  });

  it("fires each due time once while three processes share the schedule and one of them is killed", async () => {
    const prefix = "sched-procs";
    const env = { MQ_REDIS_PORT: String(server.port), MQ_PREFIX: prefix };
    children.push(startChild(env), startChild(env), startChild(env));
    await Promise.all(children.map((c) => c.started));
    // The test's own host defines the schedule and reads the queue; it fires too (a fourth runner).
    const host = createQueueHost({ backend: redisBackend({ connection: { host: "127.0.0.1", port: server.port }, prefix, sweepIntervalMs: 100 }) });
    await host.start();
    try {
      const info = await host.schedule("beat", { everyMs: 100, queue: "beats", payload: { beat: true }, catchUp: "all" });
      await sleep(1_500);
      children[1]!.proc.kill("SIGKILL");
      await children[1]!.exited;
      await sleep(1_500);
      await host.unschedule("beat");
      // The one stopped mid-fire (if any) has finished by now.
      await sleep(300);
      const got = await host.receive("beats", { max: 10_000 });
      const times = got.map((d) => Number(d.message.headers!["mq-fire-at"])).sort((a, b) => a - b);
      expect(times.length).toBeGreaterThan(10);
      expect(times[0]).toBe(info.nextFireAt);
      // Once each, and none missed between the first and the last.
      expect(times).toEqual(Array.from({ length: times.length }, (_, i) => info.nextFireAt + i * 100));
      await host.ack(got.map((d) => d.receipt));
    } finally {
      await host.stop();
      for (const c of [children[0]!, children[2]!]) c.proc.stdin!.write("stop\n");
      expect(await Promise.all([children[0]!.exited, children[2]!.exited])).toEqual([0, 0]);
    }
  });
}
