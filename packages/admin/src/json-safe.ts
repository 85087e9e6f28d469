/**
 * Turns a msgpack-decoded value into plain JSON: payloads may hold binary,
 * bigints, dates or maps, which JSON.stringify would drop or throw on.
 * Binary becomes `{ $binary: base64 }`, bigints strings, dates ISO strings.
 */
export function toJsonSafe(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return value.toString();
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return null;
  if (depth > MAX_DEPTH) return "[…]";
  if (value instanceof Uint8Array) return { $binary: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => toJsonSafe(v, depth + 1));
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJsonSafe(v, depth + 1)]));
  if (value instanceof Set) return [...value].map((v) => toJsonSafe(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJsonSafe(v, depth + 1);
  return out;
}

const MAX_DEPTH = 64;
