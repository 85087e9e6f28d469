import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnWorker } from "./fixtures/spawn-worker";
import { sleep, tempDir } from "./support";

const quick = process.env.MQ_QUICK === "1";

describe("ordering groups across SIGKILLs (real processes, file journal)", () => {
  const dirs: { cleanup: () => void }[] = [];
  afterAll(() => dirs.forEach((d) => d.cleanup()));

  it("never starts a group's message before the one ahead of it is done, across kill -9 and restart", async () => {
    const data = tempDir("mq-groups-crash-");
    dirs.push(data);
    const starts = path.join(data.dir, "starts.log");
    const env = { MQ_DATA_DIR: path.join(data.dir, "mq"), MQ_STARTS: starts, MQ_GROUPS: "20", MQ_PER_GROUP: "400" };
    const cycles = quick ? 3 : 6;
    for (let gen = 1; gen <= cycles; gen++) {
      const w = spawnWorker("group-worker.mjs", { ...env, MQ_ROLE: "load", MQ_FILL: gen === 1 ? "1" : "0" });
      await w.line("ready", 60_000);
      await sleep(100 + ((gen * 131) % 200));
      w.child.kill("SIGKILL");
      await w.exited;
    }
    const drain = spawnWorker("group-worker.mjs", { ...env, MQ_ROLE: "drain" });
    await drain.line("ready", 60_000);
    const drained = await drain.line("drained", 120_000);
    expect((await drain.exited).code).toBe(0);
    expect(drained).toMatchObject({ deadLettered: 0, groups: { ready: 0, blocked: 0, active: 0, throttled: 0 } });

    // Each group's starts, across every life: the same message again (a retry, or a redelivery
    // after a kill), or the next one. Never an earlier one, never a skipped one.
    const byGroup = new Map<string, number[]>();
    const lines = readFileSync(starts, "utf8").split("\n");
    // The kills landed mid-drain: the last life still had work to do.
    const lastLife = lines.lastIndexOf("# life drain");
    expect(lines.slice(lastLife + 1).filter((l) => l.startsWith("g")).length).toBeGreaterThan(0);
    for (const line of lines) {
      if (line.startsWith("#")) continue;
      const [g, n] = line.split(" ");
      if (g === undefined || n === undefined || n === "") continue; // a line cut by SIGKILL
      (byGroup.get(g) ?? byGroup.set(g, []).get(g)!).push(Number(n));
    }
    expect(byGroup.size).toBe(20);
    for (const [g, ns] of byGroup) {
      expect(ns[0], g).toBe(0);
      for (let i = 1; i < ns.length; i++) expect(ns[i] === ns[i - 1] || ns[i] === ns[i - 1]! + 1, `${g}: …${ns.slice(Math.max(0, i - 5), i + 2).join(",")}`).toBe(true);
      expect(ns[ns.length - 1], g).toBe(399);
    }
  });
});
