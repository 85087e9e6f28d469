import { InvalidPayloadError } from "./errors/invalid-payload-error";

/** Deepest nesting a payload may have; msgpack encoders overflow the stack far beyond it. */
export const MAX_PAYLOAD_DEPTH = 64;

/**
 * Throws `InvalidPayloadError` unless `value` round-trips through msgpack
 * faithfully: plain objects (no `__proto__` key), arrays, strings, finite or
 * non-finite numbers, bigint, booleans, null, undefined, Date and Uint8Array.
 * Functions, symbols, class instances, Map/Set, cycles and nesting deeper than
 * {@link MAX_PAYLOAD_DEPTH} are rejected with the path of the first problem.
 */
export function assertValidPayload(value: unknown, path = "payload"): void {
  // The common case (valid) is checked without building a path string per field; only a
  // payload that fails is walked again with paths, to name the first problem.
  if (typeof value !== "object" || value === null ? isValidScalar(value) : isValid(value, 0, [])) return;
  check(value, path, 0, []);
}

function isValidScalar(value: unknown): boolean {
  const type = typeof value;
  return type !== "function" && type !== "symbol";
}

/** The rules of {@link check}, without paths: true when `value` (an object) is valid. */
function isValid(obj: object, depth: number, stack: object[]): boolean {
  if (obj instanceof Date || obj instanceof Uint8Array) return true;
  if (depth >= MAX_PAYLOAD_DEPTH || stack.includes(obj)) return false;
  stack.push(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) if (!isValidField(obj[i], depth, stack)) return false;
  } else {
    const proto = Object.getPrototypeOf(obj) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    if (Object.getOwnPropertySymbols(obj).length > 0) return false;
    for (const key in obj) {
      // Inherited enumerable keys cannot occur (the prototype is Object.prototype or null).
      if (key === "__proto__" || !isValidField((obj as Record<string, unknown>)[key], depth, stack)) return false;
    }
  }
  stack.pop();
  return true;
}

function isValidField(value: unknown, depth: number, stack: object[]): boolean {
  return typeof value !== "object" || value === null ? isValidScalar(value) : isValid(value, depth + 1, stack);
}

function check(value: unknown, path: string, depth: number, stack: object[]): void {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "undefined":
    case "bigint":
      return;
    case "function":
      throw new InvalidPayloadError(path, "is a function");
    case "symbol":
      throw new InvalidPayloadError(path, "is a symbol");
    case "object":
      break;
  }
  if (value === null || value instanceof Date || value instanceof Uint8Array) return;
  if (depth >= MAX_PAYLOAD_DEPTH) throw new InvalidPayloadError(path, `nests deeper than ${MAX_PAYLOAD_DEPTH} levels`);
  const obj = value;
  if (stack.includes(obj)) throw new InvalidPayloadError(path, "refers back to itself (a cycle)");
  stack.push(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) check(obj[i], `${path}[${i}]`, depth + 1, stack);
  } else {
    const proto = Object.getPrototypeOf(obj) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj.constructor as { name?: string } | undefined)?.name ?? "unknown";
      throw new InvalidPayloadError(path, `is an instance of ${name}, not a plain object`);
    }
    if (Object.getOwnPropertySymbols(obj).length > 0) throw new InvalidPayloadError(path, "has symbol keys");
    for (const key of Object.keys(obj)) {
      if (key === "__proto__") throw new InvalidPayloadError(`${path}.__proto__`, "the key __proto__ is not allowed");
      check((obj as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, stack);
    }
  }
  stack.pop();
}
