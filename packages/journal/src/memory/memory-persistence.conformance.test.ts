import { runPersistenceConformance } from "@mq/core/testing";
import { createMemoryPersistence } from "./memory-persistence";
import { createMemoryStore, type MemoryStore } from "./memory-store";

const stores = new Map<string, MemoryStore>();
runPersistenceConformance("memory journal", (ctx) => {
  const store = stores.get(ctx.storeId) ?? createMemoryStore();
  stores.set(ctx.storeId, store);
  return createMemoryPersistence({ store, snapshotOnClose: ctx.snapshotOnClose });
});
