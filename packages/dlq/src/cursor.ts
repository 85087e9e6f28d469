import { InvalidArgumentError } from "@mq/core";

// A cursor is the insertion sequence number of the last item a page returned.
// The prefix versions the format and makes a foreign string fail loudly.
const PREFIX = "dl1.";
const SHAPE = /^dl1\.(?:0|[1-9a-z][0-9a-z]{0,10})$/;

/** Encodes the sequence number of the last item seen as an opaque cursor. */
export function encodeCursor(seq: number): string {
  return PREFIX + seq.toString(36);
}

/**
 * Decodes a cursor into the sequence number to resume after.
 * @throws InvalidArgumentError when the cursor is malformed or names a position this store never reached.
 */
export function decodeCursor(cursor: unknown, lastSeq: number): number {
  if (typeof cursor !== "string" || !SHAPE.test(cursor)) {
    throw new InvalidArgumentError("dlq", "cursor", "malformed cursor; pass a `nextCursor` returned by list(), or omit it to start from the oldest");
  }
  const seq = Number.parseInt(cursor.slice(PREFIX.length), 36);
  if (!Number.isSafeInteger(seq) || seq > lastSeq) {
    throw new InvalidArgumentError("dlq", "cursor", "cursor points past anything this store has held; it comes from another store or a later state");
  }
  return seq;
}
