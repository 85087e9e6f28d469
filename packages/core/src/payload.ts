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
  check(value, path, 0, []);
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
