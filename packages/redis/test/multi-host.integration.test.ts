import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkHistory, createEventLog, formatHistoryReport, readEventLogs } from "@mq/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisBackend, type RedisBackend, type RedisConnection } from "../src/index";
import { RedisServer, REDIS_SERVER, SKIP_REASON, startCluster } from "./redis-server";

// Three host processes share one Redis; one is SIGKILLed mid-run. Every
// message must be handled at least once, none after its ack, retries bounded
// and dedup versions right: the history checker reads all their logs.
// 100,000 messages (about 40 s on a loaded 2-core machine); MQ_QUICK=1 (the
// extra Node versions in CI) runs 15,000; MQ_REDIS_MULTIHOST_MESSAGES overrides.
const TOTAL = Number(process.env.MQ_REDIS_MULTIHOST_MESSAGES ?? (process.env.MQ_QUICK === "1" ? 15_000 : 100_000));
/** The same run on a three-master Cluster, smaller (it shows the cross-process sweeps and fencing there). */
const CLUSTER_TOTAL = Math.min(TOTAL, 10_000);
const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Host {
  readonly name: string;
  readonly proc: ChildProcess;
  produced: boolean;
  readonly exited: Promise<number | null>;
}

function startHost(name: string, env: Record<string, string>): Host {
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/host-process.ts")], {
    env: { ...process.env, ...env, MQ_HOST_NAME: name },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const host: Host = { name, proc, produced: false, exited: new Promise((r) => proc.once("exit", (code) => r(code))) };
  proc.stdout.setEncoding("utf8");
  proc.stdout.on("data", (s: string) => {
    if (s.includes("produced")) host.produced = true;
  });
  return host;
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

if (REDIS_SERVER === undefined) {
  describe("redis multi-host", () => it.skip(SKIP_REASON, () => undefined));
} else {
  let server: RedisServer;
  let cluster: { nodes: RedisServer[]; destroy: () => Promise<void> };
  let dir: string;
  const hosts: Host[] = [];
  const observers: RedisBackend[] = [];
  beforeAll(async () => {
    server = await RedisServer.start({ appendfsync: "everysec" });
    cluster = await startCluster();
    dir = mkdtempSync(path.join(tmpdir(), "mq-redis-multihost-"));
  });
  afterAll(async () => {
    for (const h of hosts) if (h.proc.exitCode === null) h.proc.kill("SIGKILL");
    for (const o of observers) await o.close();
    await server?.destroy();
    await cluster?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`single node: three hosts share ${TOTAL} messages; one is SIGKILLed mid-run; the history checks out`, async () => {
    await runHosts("single", TOTAL, { MQ_REDIS_PORT: String(server.port) }, { host: "127.0.0.1", port: server.port });
  });

  it(`three-master cluster: three hosts share ${CLUSTER_TOTAL} messages; one is SIGKILLed mid-run; the history checks out`, async () => {
    const ports = cluster.nodes.map((n) => n.port);
    await runHosts("cluster", CLUSTER_TOTAL, { MQ_REDIS_CLUSTER: ports.join(",") }, { cluster: ports.map((port) => ({ host: "127.0.0.1", port })) });
  });

  async function runHosts(label: string, total: number, connEnv: Record<string, string>, connection: RedisConnection): Promise<void> {
    const queue = "work";
    const prefix = `multi-${label}`;
    const logDir = path.join(dir, label);
    mkdirSync(logDir);
    const env = { ...connEnv, MQ_PREFIX: prefix, MQ_QUEUE: queue, MQ_MESSAGES: String(Math.ceil(total / 3)) };
    const observer = redisBackend({ connection, prefix });
    observers.push(observer);
    await observer.open();
    const started = Date.now();
    const mine = ["h0", "h1", "h2"].map((name) => startHost(name, { ...env, MQ_LOG: path.join(logDir, `${name}.jsonl`) }));
    hosts.push(...mine);

    // Kill h1 once its share is enqueued and a quarter of all work is acked: it dies holding leases.
    const h1Log = path.join(logDir, "h1.jsonl");
    await until(
      async () => mine[1]!.produced && existsSync(h1Log) && statSync(h1Log).size > 50_000 && (await observer.stats(queue)).totals.acked >= total / 4,
      600_000,
      "h1 to finish producing and a quarter of the messages acked",
    );
    mine[1]!.proc.kill("SIGKILL");
    await mine[1]!.exited;

    const survivors = [mine[0]!, mine[2]!];
    await until(() => survivors.every((h) => h.produced), 600_000, "the survivors to finish producing");
    // Drained: nothing ready, delayed or in flight (h1's leases expire and are handled by the others).
    let quietSince = 0;
    await until(
      async () => {
        const s = await observer.stats(queue);
        if (s.ready + s.delayed + s.inFlight > 0) quietSince = 0;
        else if (quietSince === 0) quietSince = Date.now();
        return quietSince > 0 && Date.now() - quietSince > 1_000;
      },
      600_000,
      "the queue to drain",
    );
    const elapsed = Date.now() - started;
    for (const h of survivors) h.proc.stdin!.write("stop\n");
    expect(await Promise.all(survivors.map((h) => h.exited))).toEqual([0, 0]);

    const letters = [];
    let cursor: string | undefined;
    do {
      const page = await observer.deadLetters.list({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
      letters.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const stats = await observer.stats(queue);
    const final = createEventLog(path.join(logDir, "final.jsonl"));
    final.write({
      k: "final",
      dlq: letters.map((l) => ({ id: l.message.id, tok: (l.message.payload as { tok: string }).tok, version: l.message.version, reason: l.reason, attempts: l.message.attempts })),
      expired: [],
      purged: [],
      stats: { ready: stats.ready, inflight: stats.inFlight, delayed: stats.delayed },
    });
    final.close();

    const report = checkHistory(readEventLogs(["h0", "h1", "h2", "final"].map((n) => path.join(logDir, `${n}.jsonl`))), { mode: "always", maxRetries: 2, epsMs: 50 });
    console.log(`${label}: ${total} messages, 3 hosts (h1 killed), ${elapsed} ms, acked ${stats.totals.acked}, dead-lettered ${letters.length}`);
    console.log(formatHistoryReport(report).split("\n").slice(0, 25).join("\n"));
    expect(report.valid).toBe(true);
    expect(letters.length).toBeGreaterThan(0);
    expect(letters.every((l) => l.reason === "max-retries" && l.message.attempts === 3)).toBe(true);
  }
}
