import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/** Where Debian's redis-server lives, or undefined when it is not installed. */
export const REDIS_SERVER = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((p) => existsSync(p)) ?? (spawnSync("which", ["redis-server"]).stdout?.toString().trim() || undefined);
export const REDIS_CLI = REDIS_SERVER === undefined ? undefined : path.join(path.dirname(REDIS_SERVER), "redis-cli");
export const SKIP_REASON = "redis-server is not installed (apt-get install -y redis-server); skipping the Redis tests";

/** A free loopback port (the OS picks one; a tiny race with other listeners is accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServerOptions {
  readonly appendfsync?: "always" | "everysec" | "no";
  readonly cluster?: boolean;
  readonly dir?: string;
  readonly port?: number;
  /** Start as a replica of the server on this loopback port. */
  readonly replicaOf?: number;
}

/** One private redis-server on 127.0.0.1 with its own data folder; stop() kills it by PID. */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly #options: RedisServerOptions;
  #proc: ChildProcess | undefined;
  readonly #ownsDir: boolean;

  private constructor(port: number, dir: string, ownsDir: boolean, options: RedisServerOptions) {
    this.port = port;
    this.dir = dir;
    this.#ownsDir = ownsDir;
    this.#options = options;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await freePort());
    const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "mq-redis-"));
    const server = new RedisServer(port, dir, options.dir === undefined, options);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** Starts (again) on the same port and data folder. */
  async launch(): Promise<void> {
    const o = this.#options;
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--save", "", "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning"];
    if (o.appendfsync !== undefined) args.push("--appendonly", "yes", "--appendfsync", o.appendfsync, "--aof-load-truncated", "yes");
    else args.push("--appendonly", "no");
    if (o.replicaOf !== undefined) args.push("--replicaof", "127.0.0.1", String(o.replicaOf));
    if (o.cluster === true) args.push("--cluster-enabled", "yes", "--cluster-config-file", path.join(this.dir, "nodes.conf"), "--cluster-node-timeout", "2000");
    this.#proc = spawn(REDIS_SERVER!, args, { stdio: ["ignore", "ignore", "inherit"] });
    const end = Date.now() + 10_000;
    for (;;) {
      const r = spawnSync(REDIS_CLI!, ["-p", String(this.port), "ping"], { encoding: "utf8" });
      if (r.stdout?.trim() === "PONG") return;
      if (Date.now() > end) throw new Error(`redis-server on port ${this.port} did not start`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** SIGKILL (a crash) or SIGTERM; waits for the process to exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const p = this.#proc;
    this.#proc = undefined;
    if (p === undefined || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
    p.kill(signal);
    await exited;
  }

  /** Sends a signal without waiting (SIGSTOP / SIGCONT freeze and thaw Redis with its sockets open). */
  signal(signal: NodeJS.Signals): void {
    this.#proc?.kill(signal);
  }

  async destroy(): Promise<void> {
    this.#proc?.kill("SIGCONT"); // a frozen server cannot die of SIGKILL until it is scheduled again

    await this.stop("SIGKILL");
    if (this.#ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Three masters on loopback joined with `redis-cli --cluster create` (no replicas). */
export async function startCluster(): Promise<{ nodes: RedisServer[]; destroy: () => Promise<void> }> {
  const nodes = [await RedisServer.start({ cluster: true }), await RedisServer.start({ cluster: true }), await RedisServer.start({ cluster: true })];
  const r = spawnSync(REDIS_CLI!, ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "0", "--cluster-yes"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cluster create failed: ${r.stdout} ${r.stderr}`);
  const end = Date.now() + 20_000;
  for (;;) {
    const info = spawnSync(REDIS_CLI!, ["-p", String(nodes[0]!.port), "cluster", "info"], { encoding: "utf8" }).stdout ?? "";
    if (info.includes("cluster_state:ok")) break;
    if (Date.now() > end) throw new Error("cluster did not become ok");
    await new Promise((res) => setTimeout(res, 100));
  }
  return { nodes, destroy: async () => void (await Promise.all(nodes.map((n) => n.destroy()))) };
}
