import type { UserConfig } from "vitest/config";
export declare function defineMqProject(options?: { unitTimeoutMs?: number; integrationTimeoutMs?: number }): UserConfig;
