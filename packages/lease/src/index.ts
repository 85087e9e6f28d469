export { LeaseManager, MAX_LEASE_MS } from "./lease-manager";
export type { LeaseManagerOptions, ResolvedLeaseManagerOptions } from "./options";
export type { LeaseSnapshot, LeaseSnapshotLease, LeaseSnapshotSchedule } from "./lease-snapshot";
