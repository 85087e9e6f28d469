import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32: sortable as text

/**
 * Creates a generator of unique, time-sortable ids (26 chars, ULID-shaped):
 * 10 chars of epoch ms, 6 chars of per-generator randomness, 10 chars of a
 * counter. Ids from one generator sort in creation order even within a
 * millisecond or when the wall clock steps back.
 */
export function createIdGenerator(now: () => number = Date.now): () => string {
  // The id is built from one array of char codes, so it is a flat string: a concatenated (rope)
  // string would be flattened again every time it is hashed as a map key.
  const codes = new Array<number>(26).fill(48);
  writeBase32(codes, 10, 6, randomBytes(4).readUInt32BE(0));
  let lastMs = -1;
  let counter = Math.floor(Math.random() * 2 ** 20);
  return () => {
    const ms = now();
    if (ms > lastMs) {
      lastMs = ms;
      writeBase32(codes, 0, 10, ms);
    }
    counter = (counter + 1) % 2 ** 50;
    writeBase32(codes, 16, 10, counter);
    return String.fromCharCode.apply(null, codes);
  };
}

const ALPHABET_CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));

/** Writes `value` as `length` base-32 digits, most significant first, at `codes[at…]`. */
function writeBase32(codes: number[], at: number, length: number, value: number): void {
  let v = value;
  for (let i = at + length - 1; i >= at; i--) {
    codes[i] = ALPHABET_CODES[v % 32]!;
    v = Math.floor(v / 32);
  }
}

/** The default process-wide id generator. */
export const newId: () => string = createIdGenerator();

/** Epoch ms encoded in an id made by {@link createIdGenerator}. */
export function idTime(id: string): number {
  let ms = 0;
  for (let i = 0; i < 10; i++) ms = ms * 32 + ALPHABET.indexOf(id[i] ?? "0");
  return ms;
}
