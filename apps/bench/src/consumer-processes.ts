import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { consumerArgv, parseConsumerLine, type ConsumerArgs } from "./consumer-protocol";
import type { ConsumerProcesses } from "./peer";

const srcDir = path.dirname(fileURLToPath(import.meta.url));
const appDir = path.resolve(srcDir, "..");
const SCRIPT = path.join(srcDir, "consumer-process.ts");
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** Children of this process, so an exit of the bench kills them by PID. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Consumer processes that can be stopped (by `stop` on stdin, then SIGKILL by PID). */
export interface StartedConsumers extends ConsumerProcesses {
  stop(): Promise<void>;
}

/**
 * Start `processes` consumer processes (`node --import tsx consumer-process.ts`,
 * cwd the app so tsx resolves), resolve once each said `ready`. `onDone(n)`
 * gets the increments of their completion counts.
 */
export async function startConsumers(processes: number, args: Omit<ConsumerArgs, "origin">, onDone: (count: number) => void, onStart?: (i: number, ms: number) => void): Promise<StartedConsumers> {
  installExitHook();
  const children = Array.from({ length: processes }, () => {
    const child = spawn(process.execPath, ["--import", "tsx", SCRIPT, ...consumerArgv({ ...args, origin: performance.timeOrigin })], { cwd: appDir, stdio: ["pipe", "pipe", "pipe"] });
    running.add(child);
    child.once("exit", () => running.delete(child));
    return child;
  });
  let stderr = "";
  const readies = children.map(
    (child) =>
      new Promise<void>((resolve, reject) => {
        let last = 0;
        child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
        createInterface({ input: child.stdout }).on("line", (line) => {
          const message = parseConsumerLine(line);
          if (message?.kind === "ready") resolve();
          else if (message?.kind === "start") onStart?.(message.i, message.ms);
          else if (message?.kind === "done" && message.total > last) {
            onDone(message.total - last);
            last = message.total;
          }
        });
        child.once("error", reject);
        child.once("exit", (code) => reject(new Error(`[mq:bench] a consumer process exited (code ${code}) before it was ready: ${stderr.trim()}`)));
      }),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((child) => stopChild(child)));
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(readies),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`[mq:bench] consumer processes not ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS))),
    ]);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  for (const ready of readies) ready.catch(() => undefined);
  return {
    go: () => children.forEach((child) => child.stdin?.write("go\n")),
    stop,
  };
}

// ---------------------------------------------------------------------------

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.stdin?.write("stop\n");
  child.stdin?.end();
  const timer = setTimeout(() => kill(child), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function kill(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => running.forEach(kill));
}
