import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
const DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));

const CORE_DIST = fileURLToPath(new URL("../node_modules/@mq/core/dist/index.js", import.meta.url));

// On a shared working tree another build may be replacing dist/ right now: wait for it instead of failing.
function waitForBuilds(): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 600 && !(existsSync(DIST) && existsSync(CORE_DIST)); i++) Atomics.wait(cell, 0, 0, 100);
}

/** Fails clearly when the package was not built (the turbo test task builds it first). */
export function requireDist(): void {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`pnpm build\` in packages/journal before the integration tests`);
}

/** A running child: its output lines as they come, and helpers to wait and kill. */
export interface Child {
  readonly proc: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line starting with `prefix` (or rejects when the child exits first). */
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): Promise<void>;
  /** Every n reported in `ack` lines. */
  acked(): number[];
}

/** Spawns `node` on a fixture script with `MQ_CHILD` set to `config` (JSON) and extra env. */
export function spawnFixture(script: string, config: object, env: Record<string, string> = {}, command?: { file: string; args: string[] }): Child {
  const args = [`${FIXTURES}${script}`];
  const childEnv = { ...process.env, ...env, MQ_CHILD: JSON.stringify(config) };
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  let stderr = "";
  let proc!: ChildProcess;
  let settle!: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => (settle = resolve));
  let attempts = 0;
  const start = (): void => {
    waitForBuilds();
    attempts++;
    stderr = "";
    proc = command ? spawn(command.file, [...command.args, process.execPath, ...args], { env: childEnv, stdio: ["pipe", "pipe", "pipe"] }) : spawn(process.execPath, args, { env: childEnv, stdio: ["pipe", "pipe", "pipe"] });
    let buf = "";
    let printed = false;
    proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    proc.stdout!.on("data", (d: Buffer) => {
      printed = true;
      buf += d.toString();
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        for (const w of [...waiters])
          if (line.startsWith(w.prefix)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
      }
    });
    proc.on("exit", (code, signal) => {
      // Another build was replacing dist/ as this child loaded it: it never ran, so start it again.
      if (!printed && code !== 0 && stderr.includes("ERR_MODULE_NOT_FOUND") && attempts < 5) {
        setTimeout(start, 500);
        return;
      }
      for (const w of waiters.splice(0)) w.reject(new Error(`child exited before "${w.prefix}"; output: ${lines.slice(-5).join(" | ")}; stderr: ${stderr.slice(-2000)}`));
      settle({ code, signal });
    });
  };
  start();
  let done = false;
  void exited.then(() => (done = true));
  return {
    get proc() {
      return proc;
    },
    lines,
    exited,
    waitFor(prefix, timeoutMs = 60_000) {
      const found = lines.find((l) => l.startsWith(prefix));
      if (found) return Promise.resolve(found);
      if (done) return Promise.reject(new Error(`child already exited before "${prefix}"; stderr: ${stderr.slice(-2000)}`));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for "${prefix}"`)), timeoutMs);
        waiters.push({ prefix, resolve: (l) => (clearTimeout(timer), resolve(l)), reject: (e) => (clearTimeout(timer), reject(e)) });
      });
    },
    async kill() {
      if (!done && proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
    acked() {
      const out: number[] = [];
      for (const l of lines) if (l.startsWith("ack ")) for (const n of l.slice(4).split(" ")) out.push(Number(n));
      return out;
    },
  };
}

/** Parses a `ready <count> <ok|bad:…> <truncatedBytes> <lastLsn>` line. */
export function parseReady(line: string): { count: number; ok: boolean; detail: string; truncated: number; lastLsn: number } {
  const [, count, detail, truncated, lastLsn] = line.split(" ");
  return { count: Number(count), ok: detail === "ok", detail: detail ?? "", truncated: Number(truncated), lastLsn: Number(lastLsn) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
