import { InvalidArgumentError } from "@mq/core";
import { Slot } from "./_slot";
import type { DropList } from "./_slot";
import type { DedupSnapshot, DedupSnapshotEntry } from "./types";

/** The snapshot layout this version writes and reads. */
export const SNAPSHOT_FORMAT = 1;

export function toSnapshotEntry(slot: Slot): DedupSnapshotEntry {
  const list = slot.list;
  return [slot.key, slot.messageId, slot.version, slot.state, list === null ? "replace" : "drop", slot.acceptedAt, list === null ? null : list.windowMs];
}

/** Checks the envelope; returns the entries to restore. */
export function readSnapshot(snapshot: DedupSnapshot): readonly unknown[] {
  const s = snapshot as unknown as { format?: unknown; entries?: unknown } | null;
  if (typeof s !== "object" || s === null || s.format !== SNAPSHOT_FORMAT || !Array.isArray(s.entries)) {
    throw new InvalidArgumentError("dedup", "snapshot", `must be { format: ${SNAPSHOT_FORMAT}, entries: [...] } as written by snapshot()`);
  }
  return s.entries as readonly unknown[];
}

/** Rebuilds one slot (a drop one pushed onto `listFor(windowMs)`), rejecting anything snapshot() could not have written. */
export function fromSnapshotEntry(value: unknown, index: number, listFor: (windowMs: number) => DropList): Slot {
  const bad = (why: string): never => {
    throw new InvalidArgumentError("dedup", `snapshot.entries[${index}]`, why);
  };
  if (!Array.isArray(value) || value.length !== 7) return bad("must be a 7-element tuple");
  const [key, messageId, version, state, mode, acceptedAt, windowMs] = value as unknown[];
  if (typeof key !== "string") return bad("key must be a string");
  if (typeof messageId !== "string" || messageId.length === 0) return bad("messageId must be a non-empty string");
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) return bad("version must be an integer >= 1");
  if (state !== "pending" && state !== "in-flight" && state !== "released") return bad("state is unknown");
  if (typeof acceptedAt !== "number" || !Number.isFinite(acceptedAt)) return bad("acceptedAt must be a finite number");
  if (mode === "replace") {
    if (windowMs !== null) return bad("windowMs must be null in replace mode");
    if (state === "released") return bad("a replace-mode entry is removed on release, never released");
    const slot = new Slot(key, messageId, version, acceptedAt);
    slot.state = state;
    return slot;
  }
  if (mode !== "drop") return bad("mode must be replace or drop");
  if (typeof windowMs !== "number" || !Number.isFinite(windowMs) || windowMs < 0) return bad("windowMs must be a finite number >= 0");
  const slot = new Slot(key, messageId, version, acceptedAt);
  slot.state = state;
  listFor(windowMs).push(slot);
  return slot;
}
