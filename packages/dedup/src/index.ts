export { DedupIndex } from "./dedup-index";
export { DedupIndexFullError } from "./dedup-index-full-error";
export type {
  DedupAcceptEntry,
  DedupAction,
  DedupDecideOptions,
  DedupDecision,
  DedupEntry,
  DedupIndexOptions,
  DedupSnapshot,
  DedupSnapshotEntry,
  DedupState,
} from "./types";
