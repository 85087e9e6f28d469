import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { ChildConfig, ChildLine } from "./child/child-config";

/** How a queue process ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running queue process: its JSON lines, readiness and exit. */
export interface ChildHandle {
  readonly pid: number;
  readonly process: ChildProcess;
  /** Resolves with the ready line, or rejects when the process ends first. */
  readonly ready: Promise<Extract<ChildLine, { type: "ready" }>>;
  /** Resolves when the process has ended and been reaped (its lock is free then). */
  readonly exited: Promise<ChildExit>;
  /** The last few KB of stderr, for diagnostics. */
  stderr(): string;
}

/** Starts the bundled queue-process `script` with plain node, calling `onLine` for every JSON line. */
export function spawnQueueProcess(script: string, cfg: ChildConfig, onLine: (line: ChildLine) => void, options: { readonly exposeGc?: boolean } = {}): ChildHandle {
  const args = [...(options.exposeGc === true ? ["--expose-gc"] : []), script, JSON.stringify(cfg)];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    err = (err + chunk).slice(-8_192);
  });
  let onReady: (line: Extract<ChildLine, { type: "ready" }>) => void = () => undefined;
  let onFail: (error: Error) => void = () => undefined;
  const ready = new Promise<Extract<ChildLine, { type: "ready" }>>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  // A caller that never awaits readiness (the process died first) must not see an unhandled rejection.
  ready.catch(() => undefined);
  const lines = createInterface({ input: child.stdout });
  lines.on("line", (text) => {
    let line: ChildLine;
    try {
      line = JSON.parse(text) as ChildLine;
    } catch {
      return;
    }
    if (line.type === "ready") onReady(line);
    onLine(line);
  });
  const exited = new Promise<ChildExit>((resolve) => {
    child.on("close", (code, signal) => {
      onFail(new Error(`queue process gen ${cfg.gen} ended before it was ready (code ${String(code)}, signal ${String(signal)}): ${err.trim().split("\n").slice(-6).join("\n")}`));
      resolve({ code, signal });
    });
  });
  return { pid: child.pid ?? -1, process: child, ready, exited, stderr: () => err };
}
