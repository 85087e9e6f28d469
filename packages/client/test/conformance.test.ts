import { runBackendConformance } from "@mq/core/testing";
import { openClient, startServer, tempDir } from "./support";

// The QueueBackend contract, held by @mq/client against a real @mq/server on
// 127.0.0.1 (file journal, so restarts are real), in real time (no manual clock).
runBackendConformance("@mq/client over HTTP + WebSocket to @mq/server", async () => {
  const data = tempDir("mq-client-conf-");
  let server = await startServer({ dataDir: data.dir });
  let client = await openClient(server.url);
  return {
    backend: client.backend,
    restart: async () => {
      await client.close();
      await server.stop();
      server = await startServer({ dataDir: data.dir });
      client = await openClient(server.url);
      return client.backend;
    },
    cleanup: async () => {
      await client.close().catch(() => undefined);
      await server.stop().catch(() => undefined);
      data.cleanup();
    },
  };
});
