/**
 * `pnpm bench:peers [options]`: the same workloads on @mq and BullMQ in one
 * run; prints the comparison table, writes latest.json and latest.html.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HELP, parseArgs, UsageError } from "./args";
import { buildComparison } from "./comparisons";
import { probeFdatasync } from "./fdatasync-probe";
import { renderReadmeFigures, renderTextReport, replaceReadmeFigures } from "./format";
import { describeMachine } from "./machine";
import { PAYLOAD_BYTES } from "./payload";
import { productOf, type Peer, type PeerId } from "./peer";
import { createBullmqPeer } from "./peers/bullmq-peer";
import { createMqPeer } from "./peers/mq-peer";
import { createMqRedisPeer } from "./peers/mq-redis-peer";
import { createProgressLog } from "./progress";
import { renderHtmlReport } from "./report-html";
import type { RunResult } from "./run-result";
import { redisServerBinary, redisServerVersion, startRedisServer, type AppendFsync, type RedisServer } from "./redis-server";
import { runPeer } from "./run-peers";

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const defaultOutDir = path.join(appDir, "results");

let parsed;
try {
  parsed = parseArgs(process.argv.slice(2), defaultOutDir);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`bench:peers: ${error.message}\n\n${HELP}`);
  process.exit(2);
}
if (parsed.help) {
  console.log(HELP);
  process.exit(0);
}
const options = parsed.options;
const wanted = (id: PeerId): boolean => options.only.includes(productOf(id));
if (options.only.some((p) => p !== "mq") && redisServerVersion() === undefined) {
  console.error(`bench:peers: ${redisServerBinary()} not found. Install it (Debian: \`apt-get install -y redis-server\`), set REDIS_SERVER=/path/to/redis-server, or pass --only mq.`);
  process.exit(2);
}
const log = createProgressLog();
const machine = describeMachine();
const startedAt = new Date();

log.note(`fdatasync probe (${options.fdatasyncSamples} samples)`);
const fdatasync = probeFdatasync(options.fdatasyncSamples);
log.note(`fdatasync p50 ${fdatasync.p50Ms.toFixed(2)} ms, p99 ${fdatasync.p99Ms.toFixed(2)} ms, ${Math.round(fdatasync.perSecond)}/s`);

const peers: RunResult["peers"] = {};
// BullMQ and @mq/redis run one after the other on the same redis-server per
// appendfsync setting (emptied before every workload), then it is stopped.
const redisPlan: [AppendFsync, [PeerId, (server: RedisServer) => Peer][]][] = [
  ["everysec", [["bullmq-everysec", createBullmqPeer], ["mq-redis-everysec", createMqRedisPeer]]],
  ["always", [["bullmq-always", createBullmqPeer], ["mq-redis-always", createMqRedisPeer]]],
];
for (const [appendfsync, pair] of redisPlan) {
  const chosen = pair.filter(([id]) => wanted(id));
  if (chosen.length === 0) continue;
  let server: Promise<RedisServer> | undefined;
  try {
    for (const [id, make] of chosen) {
      peers[id] = (await runPeer(async () => make(await (server ??= startRedisServer(appendfsync))), id, options.redisSizes, log)).run;
    }
  } finally {
    await server?.then((s) => s.stop()).catch(() => undefined);
  }
}
for (const durability of ["batch", "interval"] as const) {
  const id: PeerId = durability === "batch" ? "mq-batch" : "mq-interval";
  if (wanted(id)) peers[id] = (await runPeer(() => Promise.resolve(createMqPeer(durability)), id, options.sizes, log)).run;
}

const run: RunResult = {
  schema: "mq-bench-peers/1",
  startedAt: startedAt.toISOString(),
  durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
  machine: machine.info(),
  sizes: options.sizes,
  redisSizes: options.redisSizes,
  payloadBytes: PAYLOAD_BYTES,
  fdatasync,
  peers,
};
const rows = buildComparison(run);
mkdirSync(options.outDir, { recursive: true });
const jsonPath = path.join(options.outDir, "latest.json");
const htmlPath = path.join(options.outDir, "latest.html");
writeFileSync(jsonPath, `${JSON.stringify({ ...run, comparison: rows }, null, 2)}\n`);
writeFileSync(htmlPath, renderHtmlReport(run, rows));
console.log(renderTextReport(run, rows));
log.note(`wrote ${jsonPath} and ${htmlPath}`);
if (options.readme) {
  const readmePath = path.join(appDir, "README.md");
  writeFileSync(readmePath, replaceReadmeFigures(readFileSync(readmePath, "utf8"), renderReadmeFigures(run, rows)));
  log.note(`updated the figures in ${readmePath}`);
}
const failed = Object.values(peers).some((p) => Object.values(p.results).some((r) => r.kind === "error"));
process.exitCode = failed ? 1 : 0;
