export { createMemoryPersistence } from "./memory/memory-persistence";
export type { MemoryPersistence, MemoryPersistenceOptions } from "./memory/memory-persistence";
export { createMemoryStore } from "./memory/memory-store";
export type { MemoryStore } from "./memory/memory-store";
export { MEMORY_DEFAULTS } from "./defaults";
