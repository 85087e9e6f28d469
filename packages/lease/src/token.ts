/**
 * Fencing tokens are `<generation in base 36>.<id>`. The generation comes
 * first because ids may contain any character, dots included: the first dot
 * always ends the generation. A token is current only while its id's lease
 * still carries that generation, so a stale token is detected with one map
 * lookup and no stored token strings.
 */

/** Longest base-36 generation below 2^53 (11 digits). */
const MAX_GENERATION_DIGITS = 11;

/**
 * Generations are split into a high part and a low part of five base-36
 * digits. Printing a number above 2^31 in base 36 is several times slower
 * than printing a small integer, and the high part changes only every 60
 * million leases, so it is printed once and cached.
 */
const LOW_SPAN = 36 ** 5;
let cachedHigh = -1;
let cachedHighText = "";

/** Builds the token for generation `gen` of the lease on `id`: `gen.toString(36)`, a dot, the id. */
export function formatToken(gen: number, id: string): string {
  const high = Math.floor(gen / LOW_SPAN);
  const low = gen - high * LOW_SPAN;
  if (high === 0) return `${low.toString(36)}.${id}`;
  if (high !== cachedHigh) {
    cachedHigh = high;
    cachedHighText = high.toString(36);
  }
  return `${cachedHighText}${low.toString(36).padStart(5, "0")}.${id}`;
}

/** Index of the dot ending a well-formed generation prefix, or -1 if `token` is malformed. */
export function tokenDot(token: string): number {
  const dot = token.indexOf(".");
  return dot >= 1 && dot <= MAX_GENERATION_DIGITS ? dot : -1;
}

/**
 * The generation of a token whose prefix ends at `dot`, or -1 if the prefix is
 * not canonical base 36 (lower case, no leading zero, below 2^53). Canonical
 * only, so exactly one string is current for a lease.
 */
export function tokenGeneration(token: string, dot: number): number {
  if (dot < 1 || (dot > 1 && token.charCodeAt(0) === 48)) return -1;
  let gen = 0;
  for (let i = 0; i < dot; i++) {
    const c = token.charCodeAt(i);
    let digit: number;
    if (c >= 48 && c <= 57) digit = c - 48;
    else if (c >= 97 && c <= 122) digit = c - 87;
    else return -1;
    gen = gen * 36 + digit;
  }
  return gen <= Number.MAX_SAFE_INTEGER ? gen : -1;
}

/** The id inside a well-formed token, or undefined. */
export function tokenId(token: string): string | undefined {
  const dot = tokenDot(token);
  if (tokenGeneration(token, dot) < 0) return undefined;
  return token.slice(dot + 1);
}
