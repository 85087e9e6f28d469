import type { ErrorInfo, QueueSettings } from "@mq/core";
import type { Entry } from "./entry";

/**
 * Journal operations. Each carries absolute values (never increments) so
 * that replaying an operation over a snapshot that already reflects it gives
 * the same state: snapshots are taken without stopping the engine.
 */
export type Op =
  | readonly ["create", Entry, DedupStamp | undefined]
  | readonly ["replace", ReplaceFields]
  | readonly ["lease", string, number, number]
  | readonly ["ack", string, number]
  | readonly ["retry", string, number]
  | readonly ["dead", string, string, ErrorInfo | undefined, number]
  | readonly ["expire", string, number]
  | readonly ["revive", readonly string[], number, string | undefined]
  | readonly ["purge", readonly string[]]
  | readonly ["bind", string, string]
  | readonly ["unbind", string, string]
  | readonly ["configure", string, QueueSettings];

/** How a created message's dedup key was accepted. */
export interface DedupStamp {
  readonly mode: "replace" | "drop";
  readonly windowMs: number;
}

/** What a `replace` enqueue changes in place. */
export interface ReplaceFields {
  readonly id: string;
  readonly payload: Uint8Array;
  readonly version: number;
  readonly at: number;
  readonly headers: Record<string, string> | undefined;
  readonly expiresAt: number | undefined;
}
