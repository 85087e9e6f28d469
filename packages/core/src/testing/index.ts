export { createManualClock } from "./manual-clock";
export type { ManualClock } from "./manual-clock";
export { RecordingHandler, runPersistenceConformance } from "./persistence-conformance";
export type { PersistenceConformanceContext, PersistenceFactory } from "./persistence-conformance";
export { runBackendConformance } from "./backend-conformance";
export type { BackendConformanceOptions, BackendFixture } from "./backend-conformance";
