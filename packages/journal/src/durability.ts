import type { DurabilityMode } from "@mq/core";

/** One row of the durability table: what an append's resolution means in a mode. */
export interface DurabilityRow {
  readonly mode: DurabilityMode;
  readonly resolvesAfter: string;
  readonly lostOnKill9: string;
  readonly lostOnPowerLoss: string;
}

/** The file journal's durability guarantees per mode (the README table, as data). */
export const DURABILITY_TABLE: readonly DurabilityRow[] = [
  { mode: "always", resolvesAfter: "its own write + fdatasync", lostOnKill9: "nothing resolved", lostOnPowerLoss: "nothing resolved" },
  { mode: "batch", resolvesAfter: "the group-commit write + fdatasync of the batch it joined", lostOnKill9: "nothing resolved", lostOnPowerLoss: "nothing resolved" },
  { mode: "interval", resolvesAfter: "write(); fdatasync every intervalMs", lostOnKill9: "nothing resolved", lostOnPowerLoss: "up to intervalMs of resolved appends" },
  { mode: "none", resolvesAfter: "write() (file) / memory (memory adapter); fdatasync only at segment roll, snapshot and close", lostOnKill9: "nothing resolved (file); everything (memory)", lostOnPowerLoss: "everything since the last sync" },
];
