// A/B of two builds of @mq/host in one process, alternating short timed bursts so that a
// changing machine load hits both alike (see PROFILES.md). Not part of `pnpm bench:peers`.
//
//   node --import tsx src/ab-builds.ts --a /path/to/other/checkout --workload drain-c32 --durability batch [--rounds 9] [--messages 20000]
//
// `--a` is another checkout of this repository with @mq/host built (its packages/host/dist);
// B is this checkout. Prints, per build, the median wall time and process CPU time per message.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { QueueHost } from "@mq/host";

const { values } = parseArgs({
  options: {
    a: { type: "string" },
    workload: { type: "string", default: "bulk-1" },
    durability: { type: "string", default: "interval" },
    rounds: { type: "string", default: "9" },
    messages: { type: "string", default: "20000" },
  },
});
if (values.a === undefined) throw new Error("--a <other checkout> is required");
const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
type HostModule = { createQueueHost(options: { dataDir: string; durability: string }): QueueHost };
const load = async (root: string): Promise<HostModule> => (await import(pathToFileURL(path.join(root, "packages/host/dist/index.js")).href)) as HostModule;
const builds: Record<"A" | "B", HostModule> = { A: await load(path.resolve(values.a)), B: await load(here) };
const rounds = Number(values.rounds);
const per = Number(values.messages);
const workload = values.workload;
const body = "x".repeat(256 - `{"i":0,"t":0,"body":""}`.length);
const batchOf = (n: number) => Array.from({ length: n }, (_, i) => ({ queue: "bench", payload: { i, t: 0, body } }));
const stats = { A: { wall: [] as number[], cpu: [] as number[] }, B: { wall: [] as number[], cpu: [] as number[] } };

async function burst(name: "A" | "B"): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), `mq-ab-${name}-`));
  const host = builds[name].createQueueHost({ dataDir: dir, durability: values.durability });
  await host.start();
  try {
    let run: () => Promise<void>;
    if (workload.startsWith("bulk")) {
      const producers = workload === "bulk-8" ? 8 : 1;
      const batch = batchOf(100);
      run = async () => {
        let left = per / 100;
        await Promise.all(Array.from({ length: producers }, async () => {
          while (left-- > 0) await host.enqueueBatch(batch);
        }));
      };
    } else {
      for (let i = 0; i < per; i += 1000) await host.enqueueBatch(batchOf(1000)); // untimed prefill
      run = () => new Promise<void>((resolve) => {
        let done = 0;
        host.dispatcher.events.on("succeeded", () => { if (++done === per) resolve(); });
        host.handle("bench", async () => { await Promise.resolve(); }, workload === "drain-c32" ? { maxParallelism: 32 } : {});
      });
    }
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    stats[name].wall.push((wall * 1000) / per);
    stats[name].cpu.push((cpu.user + cpu.system) / per);
  } finally {
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let r = 0; r < rounds; r++) for (const name of r % 2 === 0 ? (["A", "B"] as const) : (["B", "A"] as const)) await burst(name);
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
process.stdout.write(`${workload} ${values.durability}: ${rounds} rounds × ${per} messages per build; load ${loadavg().map((x) => x.toFixed(1)).join(" ")}\n`);
for (const name of ["A", "B"] as const) {
  const s = stats[name];
  process.stdout.write(`${name}: ${median(s.wall).toFixed(2)} µs/msg wall (${Math.round(1e6 / median(s.wall))} msg/s), ${median(s.cpu).toFixed(2)} µs/msg process CPU\n`);
}
