export { DeadLetterStore } from "./dead-letter-store";
export type { DeadLetterListOptions, DeadLetterStoreEvents } from "./dead-letter-store";
export type { DeadLetterStoreOptions, ResolvedDeadLetterStoreOptions } from "./options";
export type { DeadLetterSnapshot } from "./snapshot";
export { DEFAULT_LIST_LIMIT, DEFAULT_MAX_ENTRIES, MAX_LIST_LIMIT } from "./defaults";
