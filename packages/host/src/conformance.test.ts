import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createManualClock, runBackendConformance } from "@mq/core/testing";
import { createMemoryStore } from "@mq/journal/memory";
import { createQueueHost } from "./create-queue-host";
import { createMemoryPersistence } from "@mq/journal/memory";

// Both fixtures run the engine on a manual clock (kept across a restart), so
// the tests of leases, delays and TTLs move time themselves: a slow disk
// cannot eat a lease.
runBackendConformance("embedded engine on the memory journal", () => {
  const store = createMemoryStore();
  const clock = createManualClock();
  const make = async () => {
    const host = createQueueHost({ persistence: createMemoryPersistence({ store }), clock });
    await host.start();
    return host.backend;
  };
  return make().then((backend) => ({
    backend,
    clock,
    restart: async () => {
      await backend.close();
      return make();
    },
  }));
});

runBackendConformance("embedded engine on the file journal", async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "mq-host-conf-"));
  const clock = createManualClock();
  let open: { close(): Promise<void> } | undefined;
  const make = async () => {
    const host = createQueueHost({ dataDir, clock });
    await host.start();
    open = host.backend;
    return host.backend;
  };
  const backend = await make();
  return {
    backend,
    clock,
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
