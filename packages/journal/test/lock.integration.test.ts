import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordingHandler } from "@mq/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFilePersistence } from "../src/file-persistence";
import { requireDist, spawnFixture, type Child } from "./child";

const LONG = Boolean(process.env.MQ_LONG);
const root = mkdtempSync(join(tmpdir(), "mq-journal-lock-"));
beforeAll(requireDist);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The next line after `seen` lines that starts with one of the prefixes. */
async function nextLine(child: Child, seen: number, prefixes: string[]): Promise<string> {
  for (let i = 0; i < 2000; i++) {
    const line = child.lines.slice(seen).find((l) => prefixes.some((p) => l.startsWith(p)));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no ${prefixes.join("/")} line; last: ${child.lines.slice(-3).join(" | ")}`);
}

describe("C7: LOCK across processes", () => {
  it(`100 races of ${LONG ? 20 : 12} processes: exactly one wins, the others name it (half start from a stale lock)`, async () => {
    const racers = Array.from({ length: LONG ? 20 : 12 }, () => spawnFixture("lock-racer.mjs", {}));
    try {
      await Promise.all(racers.map((r) => r.waitFor("hello")));
      const problems: string[] = [];
      for (let round = 0; round < 100; round++) {
        const dir = join(root, `race-${round}`);
        if (round % 2 === 1) {
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, "LOCK"), JSON.stringify({ pid: 2 ** 22 + 12345, nonce: "stale", start: null }));
        }
        const seen = racers.map((r) => r.lines.length);
        for (const r of racers) r.proc.stdin!.write(`go ${dir}\n`);
        const results = await Promise.all(racers.map((r, i) => nextLine(r, seen[i]!, ["won", "lost", "err"])));
        const winners = results.map((l, i) => (l.startsWith("won") ? i : -1)).filter((i) => i >= 0);
        if (winners.length !== 1) {
          problems.push(`round ${round}: ${winners.length} winners (${results.join(", ")})`);
          continue;
        }
        const winnerPid = racers[winners[0]!]!.proc.pid;
        for (const l of results) if (!l.startsWith("won") && l !== `lost ${winnerPid}`) problems.push(`round ${round}: "${l}" does not name the holder ${winnerPid}`);
        const w = racers[winners[0]!]!;
        const before = w.lines.length;
        w.proc.stdin!.write("release\n");
        await nextLine(w, before, ["released"]);
      }
      expect(problems).toEqual([]);
    } finally {
      await Promise.all(racers.map((r) => r.kill()));
    }
  });

  it("a lock left by a SIGKILLed holder is taken over on the first attempt (20 times)", async () => {
    const dir = join(root, "takeover");
    for (let i = 0; i < 20; i++) {
      const holder = spawnFixture("lock-racer.mjs", {});
      await holder.waitFor("hello");
      holder.proc.stdin!.write(`go ${dir}\n`);
      expect(await holder.waitFor("won")).toBe(`won ${holder.proc.pid}`);
      await holder.kill();
      const p = createFilePersistence({ dataDir: dir, snapshotEveryMs: 0, snapshotOnClose: false });
      await p.open(new RecordingHandler());
      await p.close();
    }
  });

  it("a live holder in another process blocks, naming its pid", async () => {
    const dir = join(root, "live");
    const holder = spawnFixture("lock-racer.mjs", {});
    try {
      await holder.waitFor("hello");
      holder.proc.stdin!.write(`go ${dir}\n`);
      await holder.waitFor("won");
      const p = createFilePersistence({ dataDir: dir });
      await expect(p.open(new RecordingHandler())).rejects.toMatchObject({ code: "MQ_DATA_DIR_LOCKED", pid: holder.proc.pid });
    } finally {
      await holder.kill();
    }
  });
});
