import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Clock } from "@mq/core";
import { createMemoryPersistence, createQueueHost, type QueueHost } from "@mq/host";
import { createServer, type MqServer, type ServerOptions } from "@mq/server";
import { createClient, type ClientOptions, type MqClient } from "../src/index";

/** A host (file journal in `dataDir`, else memory) behind a server on 127.0.0.1:0. */
export async function startServer(options: { dataDir?: string; server?: ServerOptions; clock?: Clock } = {}): Promise<{ host: QueueHost; server: MqServer; url: string; stop: () => Promise<void> }> {
  const host = createQueueHost({ ...(options.dataDir === undefined ? { persistence: createMemoryPersistence() } : { dataDir: options.dataDir }), ...(options.clock === undefined ? {} : { clock: options.clock }) });
  await host.start();
  const server = createServer(host, { port: 0, ...options.server });
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

// MQ_CLIENT_GLOBAL_WEBSOCKET=1 runs the suite on the runtime's own WebSocket (Node ≥ 22) instead of `ws`.
const runtimeWebSocket = process.env.MQ_CLIENT_GLOBAL_WEBSOCKET === "1" ? (globalThis as { WebSocket?: ClientOptions["WebSocket"] }).WebSocket : undefined;
if (process.env.MQ_CLIENT_GLOBAL_WEBSOCKET === "1" && runtimeWebSocket === undefined) throw new Error(`MQ_CLIENT_GLOBAL_WEBSOCKET=1, but Node ${process.version} has no global WebSocket`);

/** An opened client. */
export async function openClient(url: string, options: Partial<ClientOptions> = {}): Promise<MqClient> {
  const client = createClient({ url, ...(runtimeWebSocket === undefined ? {} : { WebSocket: runtimeWebSocket }), ...options });
  await client.open();
  return client;
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
