import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runBackendConformance } from "@mq/core/testing";
import { createMemoryStore } from "@mq/journal/memory";
import { createQueueHost } from "./create-queue-host";
import { createMemoryPersistence } from "@mq/journal/memory";

runBackendConformance("embedded engine on the memory journal", () => {
  const store = createMemoryStore();
  const make = async () => {
    const host = createQueueHost({ persistence: createMemoryPersistence({ store }) });
    await host.start();
    return host.backend;
  };
  return make().then((backend) => ({
    backend,
    restart: async () => {
      await backend.close();
      return make();
    },
  }));
});

runBackendConformance("embedded engine on the file journal", async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "mq-host-conf-"));
  let open: { close(): Promise<void> } | undefined;
  const make = async () => {
    const host = createQueueHost({ dataDir });
    await host.start();
    open = host.backend;
    return host.backend;
  };
  const backend = await make();
  return {
    backend,
    restart: async () => {
      await open?.close();
      return make();
    },
    cleanup: async () => {
      await open?.close().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
