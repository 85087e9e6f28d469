/** Entries kept before the oldest is dropped. @default 100_000 */
export const DEFAULT_MAX_ENTRIES = 100_000;

/** Page size of `list()` when no `limit` is given. */
export const DEFAULT_LIST_LIMIT = 100;

/** Largest page `list()` returns; a larger `limit` is clamped to it. */
export const MAX_LIST_LIMIT = 1000;
