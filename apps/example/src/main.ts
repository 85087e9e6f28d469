import { rmSync } from "node:fs";
import path from "node:path";
import { createAdminServer, type AdminServer } from "@mq/admin";
import { createQueueHost, type EnqueueResult } from "@mq/host";
import { parseArgs } from "./args";
import { readRows, renderTable, startLiveView, QUEUES } from "./live-view";
import { registerWorkflow, type Order } from "./workflow";

const args = parseArgs(process.argv.slice(2));
const dataDir = path.resolve(args.dataDir);
if (args.reset) rmSync(dataDir, { recursive: true, force: true });

const host = createQueueHost({
  dataDir,
  queues: {
    // A resubmitted order within 10 minutes is a duplicate (SQS FIFO style).
    orders: { dedupMode: "drop", dedupWindowMs: 600_000, keepCompleted: { count: 1_000, ageMs: 3_600_000 } },
    // The latest stock level for a SKU replaces an older one still waiting.
    inventory: { dedupMode: "replace" },
  },
});
registerWorkflow(host, { flakyFailureRate: 0.35, slowPackingRate: 0.03, random: Math.random });
// Stock sync is slow (20 ms per update, one at a time): newer levels replace waiting ones, so the backlog stays one per SKU.
host.handle<{ sku: string; level: number }>("inventory", () => new Promise((r) => setTimeout(r, 20)), { maxParallelism: 1 });

// A stock report every second, from a durable schedule (it survives restarts; a missed second is not replayed).
let reports = 0;
host.handle("reports", () => void reports++);

const startedAt = Date.now();
const recovery = await host.start();
await host.schedule("stock-report", { everyMs: 1_000, queue: "reports", payload: { kind: "stock" }, catchUp: "latest" });
const before = await host.stats();
const deadBefore = await host.deadLetters.count();
const resumed = before.ready + before.delayed + (recovery?.framesReplayed ?? 0) + deadBefore > 0;

console.log(`@mq example: an order workflow on the embedded host (data in ${path.relative(process.cwd(), dataDir) || "."})`);
if (resumed) {
  console.log(
    `resumed from disk: snapshot at LSN ${recovery?.snapshotLsn ?? 0}, ${recovery?.framesReplayed ?? 0} journal frames replayed in ${recovery?.durationMs.toFixed(0) ?? "?"} ms; ` +
      `${before.ready + before.delayed} messages were waiting, ${deadBefore} dead letters kept from earlier runs`,
  );
} else console.log("starting from an empty data folder");
// The admin dashboard (loopback only) shows the same run live in a browser; the token rides in the URL fragment.
const admin: AdminServer | undefined = args.dashboard ? await createAdminServer(host) : undefined;
if (admin !== undefined) console.log(`dashboard: ${admin.dashboardUrl}${args.linger > 0 ? ` (kept up ${args.linger} s after the run)` : " (open while the job runs; --linger N keeps it up longer)"}`);

let placed = 0;
let lastOrderId: string | undefined;
const outcomes = { created: 0, duplicate: 0, replaced: 0 };
const count = (r: EnqueueResult): void => void outcomes[r.status]++;
const view = startLiveView(host, () => `placed ${placed}/${args.orders} orders  ${((Date.now() - startedAt) / 1000).toFixed(1)} s`, { quiet: args.quiet });

const run = Date.now().toString(36);
for (let n = 0; n < args.orders; n++) {
  const order: Order = {
    id: `ORD-${run}-${n}`,
    customer: `C-${n % 37}`,
    items: 1 + (n % 4),
    amountCents: 1_000 + ((n * 7919) % 9_000),
    card: n % 53 === 13 ? "declined" : n % 5 === 0 ? "flaky" : "ok",
  };
  const placedOrder = await host.enqueue("orders", order, { key: order.id, correlationId: `CORR-${order.id}`, priority: n % 10 === 0 ? 7 : 0 });
  count(placedOrder);
  lastOrderId = placedOrder.id;
  // One in eight clients retries the submit: the queue drops the duplicate.
  if (n % 8 === 3) count(await host.enqueue("orders", order, { key: order.id }));
  count(await host.enqueue("inventory", { sku: `SKU-${n % 12}`, level: 500 - n }, { key: `SKU-${n % 12}` }));
  placed++;
  // Pace the stream: orders arrive at about --rate per second.
  const due = startedAt + ((n + 1) * 1000) / args.rate;
  if (due > Date.now() + 5) await new Promise((r) => setTimeout(r, due - Date.now()));
}

const deadline = Date.now() + 30_000;
for (;;) {
  const s = await host.stats();
  if (s.ready + s.delayed + s.inFlight === 0) break;
  if (Date.now() > deadline) {
    console.log("time is up: stopping with work still queued (it resumes on the next run)");
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}
await view.stop();
if (admin !== undefined && args.linger > 0) await new Promise((r) => setTimeout(r, args.linger * 1000));
await admin?.close();

// The summary's msg/s is each queue's average over the whole run (totals count from this start).
const rows = await readRows(host, new Map(QUEUES.map((q) => [q, 0])), Date.now() - startedAt);
const dead = await host.deadLetters.list({ limit: 3 });
const deadTotal = await host.deadLetters.count();
// What happened to the last order? Its handler's return value was kept with its completion.
const lastOrder = lastOrderId === undefined ? undefined : await host.getMessage("orders", lastOrderId);
await host.unschedule("stock-report");
await host.stop();

const seconds = (Date.now() - startedAt) / 1000;
console.log("\nSummary");
console.log(renderTable(rows));
console.log(
  [
    "",
    `orders placed this run      ${placed}`,
    `enqueue results             ${outcomes.created} created, ${outcomes.duplicate} duplicates dropped, ${outcomes.replaced} replaced in place`,
    `messages handled            ${rows.reduce((n, r) => n + r.stats.totals.acked, 0)} across ${QUEUES.length} queues in ${seconds.toFixed(1)} s`,
    `retries                     ${rows.reduce((n, r) => n + r.stats.totals.retried, 0)}`,
    `dead letters                ${deadTotal} in total (${deadTotal - deadBefore} new this run)`,
    ...dead.items.map((l) => `  ${l.queue}/${l.message.id}  ${l.reason}: ${l.error?.message ?? ""}`),
    `last order                  ${lastOrder?.state ?? "none"}${lastOrder?.result === undefined ? "" : `, result ${JSON.stringify(lastOrder.result)}`}`,
    `scheduled stock reports     ${reports} handled (schedule "stock-report", every second)`,
    `state on disk               ${dataDir}  (run again to resume from it; --reset to start over)`,
  ].join("\n"),
);
process.exit(0);
