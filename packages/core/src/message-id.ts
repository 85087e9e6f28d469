import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32: sortable as text

/**
 * Creates a generator of unique, time-sortable ids (26 chars, ULID-shaped):
 * 10 chars of epoch ms, 6 chars of per-generator randomness, 10 chars of a
 * counter. Ids from one generator sort in creation order even within a
 * millisecond or when the wall clock steps back.
 */
export function createIdGenerator(now: () => number = Date.now): () => string {
  const node = encode(randomBytes(4).readUInt32BE(0), 6);
  let lastMs = -1;
  let prefix = "";
  let counter = Math.floor(Math.random() * 2 ** 20);
  return () => {
    const ms = now();
    if (ms > lastMs) {
      lastMs = ms;
      prefix = encode(ms, 10) + node;
    }
    counter = (counter + 1) % 2 ** 50;
    return prefix + encode(counter, 10);
  };
}

/** The default process-wide id generator. */
export const newId: () => string = createIdGenerator();

/** Epoch ms encoded in an id made by {@link createIdGenerator}. */
export function idTime(id: string): number {
  let ms = 0;
  for (let i = 0; i < 10; i++) ms = ms * 32 + ALPHABET.indexOf(id[i] ?? "0");
  return ms;
}

function encode(value: number, length: number): string {
  let out = "";
  let v = value;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[v % 32]! + out;
    v = Math.floor(v / 32);
  }
  return out;
}
