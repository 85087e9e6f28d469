import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createMemoryPersistence, createQueueHost, type QueueHost } from "@mq/host";
import { createServer, type MqServer, type ServerOptions } from "../src/index";

/** A started host on the memory journal behind a server on 127.0.0.1 and an ephemeral port. */
export async function startServer(options: ServerOptions = {}, hostOptions: { dataDir?: string } = {}): Promise<{ host: QueueHost; server: MqServer; url: string; stop: () => Promise<void> }> {
  const host = createQueueHost(hostOptions.dataDir === undefined ? { persistence: createMemoryPersistence() } : { dataDir: hostOptions.dataDir });
  await host.start();
  const server = createServer(host, { port: 0, ...options });
  const { url } = await server.listen();
  return {
    host,
    server,
    url,
    stop: async () => {
      await server.close();
      await host.stop();
    },
  };
}

/** JSON request helper: returns status, headers and parsed body. */
// Bodies are arbitrary server JSON; tests read them field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call(url: string, method: string, pathname: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url + pathname, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
