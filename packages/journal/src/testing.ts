// Test seams of @mq/journal, kept out of the main entry so production code never carries them.
export { createFaultFs } from "./fs/fault-fs";
export type { FaultFs, FaultFsOptions, FaultRule, PowerLossOptions, TrashMode } from "./fs/fault-fs";
export { createFailpoints, failpointsFromEnv, parseFailpointSpec, FAILPOINT_ENV } from "./failpoint-spec";
export { FAILPOINT_NAMES } from "./failpoints";
export type { FailpointHook, FailpointName } from "./failpoints";
