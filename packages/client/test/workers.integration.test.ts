import { afterAll, expect, it } from "vitest";
import { spawnNode, spawnServer, WORKER, type Child } from "./fixtures/processes";
import { openClient, sleep, tempDir } from "./support";

// Three worker processes with @mq/client share one queue on a real `mq serve` process.
const children: Child[] = [];
const dirs: { cleanup: () => void }[] = [];
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill("SIGKILL");
  await Promise.all(children.map((c) => c.exited));
  dirs.forEach((d) => d.cleanup());
});

it("three worker processes share one queue: every message handled, the work spread, all acked", async () => {
  const data = tempDir("mq-workers-");
  dirs.push(data);
  const server = await spawnServer(data.dir);
  children.push(server);
  const workers = [0, 1, 2].map(() => spawnNode([WORKER], { MQ_URL: server.url }));
  children.push(...workers);
  await Promise.all(workers.map((w) => w.waitFor(/^ready$/)));
  const producer = await openClient(server.url);
  const total = 600;
  for (let i = 0; i < total; i += 100) await producer.enqueueBatch(Array.from({ length: 100 }, (_, j) => ({ queue: "shared", payload: { n: i + j } })));
  const handled = (): { n: number; pid: number }[] => workers.flatMap((w) => w.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { n: number; pid: number }));
  const end = Date.now() + 60_000;
  while (new Set(handled().map((h) => h.n)).size < total && Date.now() < end) await sleep(100);
  const seen = new Set(handled().map((h) => h.n));
  expect(seen.size).toBe(total);
  const perWorker = workers.map((w) => w.lines.filter((l) => l.startsWith("{")).length);
  expect(perWorker.every((n) => n > 0)).toBe(true);
  await sleep(300);
  const stats = await producer.stats("shared");
  expect(stats.totals.acked).toBe(total);
  expect(stats.ready + stats.inFlight).toBe(0);
  console.log(`workers: ${total} messages over 3 processes: ${perWorker.join(" / ")}`);
  await producer.close();
  for (const w of workers) w.child.kill("SIGTERM");
  expect((await Promise.all(workers.map((w) => w.exited))).map((e) => e.code)).toEqual([0, 0, 0]);
  server.child.kill("SIGTERM");
  expect((await server.exited).code).toBe(0);
});
