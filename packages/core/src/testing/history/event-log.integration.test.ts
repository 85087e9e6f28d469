import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { readEventLogs } from "./read-log";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// The child appends events as fast as it can and reports each one on stdout after writing it.
const CHILD = `
import { createEventLog } from ${JSON.stringify(fileURLToPath(new URL("./event-log.ts", import.meta.url)))};
const log = createEventLog(process.env.MQ_HISTORY_FILE);
for (let i = 0; ; i++) {
  log.write({ k: "enq.invoke", op: "e" + i, queue: "q0", items: [{ tok: "p:" + i, prio: 0 }] });
  if (i % 50 === 0) process.stdout.write(i + "\\n");
}
`;

describe("event log under SIGKILL", () => {
  it("keeps every event written before the kill, in order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mq-history-kill-"));
    dirs.push(dir);
    const file = join(dir, "child.jsonl");
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD], { env: { ...process.env, MQ_HISTORY_FILE: file }, stdio: ["ignore", "pipe", "inherit"] });
    let reported = -1;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        const last = chunk.toString().trim().split("\n").at(-1);
        if (last !== undefined) reported = Number(last);
        if (reported >= 2_000) child.kill("SIGKILL");
      });
      child.on("exit", () => resolve());
      child.on("error", reject);
    });
    expect(child.signalCode).toBe("SIGKILL");
    const events = readEventLogs([file]);
    // Everything the child reported as written is there, with no gaps.
    expect(events.length).toBeGreaterThan(reported);
    events.forEach((ev, i) => expect(ev.k === "enq.invoke" && ev.op).toBe(`e${String(i)}`));
    expect(readFileSync(file, "utf8").split("\n").length).toBeGreaterThanOrEqual(events.length);
  });
});
