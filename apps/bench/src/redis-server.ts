import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { freePort } from "./free-port";
import { makeTempDir, removeTempDir } from "./temp-dir";

/** How Redis syncs its append-only file: `everysec` (may lose ~1 s) or `always` (fsync before replying). */
export type AppendFsync = "everysec" | "always";

/** A redis-server this process started: loopback only, private data folder, AOF on, RDB off. */
export interface RedisServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  readonly appendfsync: AppendFsync;
  /** SIGTERM by PID, SIGKILL after 10 s, then remove the data folder. Idempotent. */
  stop(): Promise<void>;
}

/** Every server still running, so an exit or a signal can stop them by PID. */
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;

/** The `redis-server` binary to use (`REDIS_SERVER` overrides the one on PATH). */
export function redisServerBinary(): string {
  return process.env.REDIS_SERVER ?? "redis-server";
}

/** `redis-server --version` output, or undefined when the binary is missing. */
export function redisServerVersion(): string | undefined {
  try {
    const out = execFileSync(redisServerBinary(), ["--version"], { encoding: "utf8" });
    return /v=(\S+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    return undefined;
  }
}

/** Start a redis-server on an ephemeral port with its own temp data folder; resolves once it accepts connections. */
export async function startRedisServer(appendfsync: AppendFsync): Promise<RedisServer> {
  installExitHook();
  const dataDir = makeTempDir(`redis-${appendfsync}`);
  const port = await freePort();
  const args = [
    "--bind", "127.0.0.1",
    "--port", String(port),
    "--dir", dataDir,
    "--appendonly", "yes",
    "--appendfsync", appendfsync,
    "--save", "",
    "--daemonize", "no",
    "--protected-mode", "yes",
    "--logfile", "",
  ];
  const child = spawn(redisServerBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  running.set(child, dataDir);
  let log = "";
  child.stdout?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  child.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => running.delete(child));
  const spawnError = new Promise<never>((_, reject) => child.once("error", (error) => reject(new Error(`[mq:bench] could not start ${redisServerBinary()} (${error.message}); install it with \`apt-get install -y redis-server\` or set REDIS_SERVER`))));
  spawnError.catch(() => undefined);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, "SIGTERM");
      const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    removeTempDir(dataDir);
  };

  try {
    await Promise.race([spawnError, waitForPort(port, 15_000, () => child.exitCode !== null)]);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${log}`);
  }
  if (child.pid === undefined) throw new Error("[mq:bench] redis-server has no pid");
  return { host: "127.0.0.1", port, pid: child.pid, dataDir, appendfsync, stop };
}

// ---------------------------------------------------------------------------

async function waitForPort(port: number, timeoutMs: number, gaveUp: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gaveUp()) throw new Error("[mq:bench] redis-server exited during startup");
    if (await canConnect(port)) return;
    if (Date.now() > deadline) throw new Error(`[mq:bench] redis-server did not accept connections on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Stop what we started even when the run dies: by PID, synchronously on exit, and on SIGINT/SIGTERM. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const [child, dataDir] of running) {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      removeTempDir(dataDir);
    }
  };
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}
