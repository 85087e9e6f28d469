import type { QueueBackend } from "@mq/core";
import { createManualClock, runBackendConformance } from "@mq/core/testing";
import { openClient, startServer, tempDir } from "./support";

// The QueueBackend contract, held by @mq/client against a real @mq/server on
// 127.0.0.1 (file journal, so restarts are real).
//
// Twice: in real time (the server's host on the system clock, as in
// production), and with the server's host on a manual clock, so the tests that
// need hours to pass (a delayed message cancelled, then its delay over after a
// restart; schedules) run in milliseconds and a slow machine cannot eat a lease.
// The suite enqueues 300 messages in one atomic call and long-polls for 30 s; the server's defaults (100, 20 s) are lower.
const LIMITS = { maxBatch: 500, maxWaitMs: 60_000 };

function fixture(options: { manualClock: boolean }) {
  return async () => {
    const data = tempDir("mq-client-conf-");
    const clock = options.manualClock ? createManualClock(Date.now()) : undefined;
    let server = await startServer({ dataDir: data.dir, server: LIMITS, ...(clock === undefined ? {} : { clock }) });
    let client = await openClient(server.url);
    const reopen = async (): Promise<QueueBackend> => {
      await client.close();
      await server.stop();
      server = await startServer({ dataDir: data.dir, server: LIMITS, ...(clock === undefined ? {} : { clock }) });
      client = await openClient(server.url);
      return options.manualClock ? client.backend : withoutCancel(client.backend);
    };
    return {
      backend: options.manualClock ? client.backend : withoutCancel(client.backend),
      ...(clock === undefined ? {} : { clock }),
      restart: reopen,
      cleanup: async () => {
        await client.close().catch(() => undefined);
        await server.stop().catch(() => undefined);
        data.cleanup();
      },
    };
  };
}

// In real time the cancel test would wait out a 10-minute delay; the manual-clock run covers cancel.
function withoutCancel(backend: QueueBackend): QueueBackend {
  return new Proxy(backend, {
    get: (target, prop) => {
      if (prop === "cancel") return undefined;
      const value = Reflect.get(target, prop, target) as unknown;
      // Private fields need the real object as `this`.
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

runBackendConformance("@mq/client over HTTP + WebSocket to @mq/server (real time)", fixture({ manualClock: false }));
runBackendConformance("@mq/client over HTTP + WebSocket to @mq/server (server host on a manual clock)", fixture({ manualClock: true }));
