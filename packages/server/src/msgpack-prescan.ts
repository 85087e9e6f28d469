import { isUtf8 } from "node:buffer";

/** Why a msgpack body was refused before msgpackr saw it. */
export type PrescanProblem = "malformed" | "unsupported-type" | "too-deep" | "too-many-nodes";

/** A msgpack body failed the pre-scan. The message is fixed text: it never echoes decoded content (MP7). */
export class PrescanError extends Error {
  readonly problem: PrescanProblem;
  constructor(problem: PrescanProblem, detail: string) {
    super(`msgpack body refused (${problem}): ${detail}`);
    this.name = "PrescanError";
    this.problem = problem;
  }
}

/** Bounds of {@link prescanMsgpack}. */
export interface PrescanLimits {
  /** Deepest nesting of maps and arrays. @default 40 (payload depth 32 plus the request envelope) */
  readonly maxDepth?: number;
  /** Most values (scalars, maps, arrays) in one body. @default 100_000 */
  readonly maxNodes?: number;
}

const TIMESTAMP_EXT = -1;

/**
 * Walks a msgpack buffer without building anything and accepts only plain data
 * (DESIGN Decision 6): nil, booleans, integers within ±2^53, floats, UTF-8
 * strings, binary, arrays, and maps whose keys are strings other than
 * `__proto__`; the only extension allowed is the standard timestamp (-1).
 * Records, structured-clone references, typed arrays, BigInt and every other
 * extension are refused, as are declared lengths past the end of the buffer,
 * trailing bytes, nesting deeper than `maxDepth` and more than `maxNodes`
 * values. Iterative, so hostile nesting cannot overflow the stack. Throws
 * {@link PrescanError}; returns nothing when the buffer is acceptable.
 */
export function prescanMsgpack(buf: Uint8Array, limits: PrescanLimits = {}): void {
  const maxDepth = limits.maxDepth ?? 40;
  const maxNodes = limits.maxNodes ?? 100_000;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // Remaining items of each open container; a map counts keys and values separately.
  const remaining: number[] = [];
  // For maps: whether the next item is a key (1) or a value (0); arrays hold -1.
  const keyNext: number[] = [];
  let pos = 0;
  let nodes = 0;
  const need = (n: number): void => {
    if (n > buf.length - pos) throw new PrescanError("malformed", "a length runs past the end of the body");
  };
  const readLen = (bytes: 1 | 2 | 4): number => {
    need(bytes);
    const n = bytes === 1 ? view.getUint8(pos) : bytes === 2 ? view.getUint16(pos) : view.getUint32(pos);
    pos += bytes;
    return n;
  };
  const str = (len: number, isKey: boolean): void => {
    need(len);
    const bytes = buf.subarray(pos, pos + len);
    if (!isUtf8(bytes)) throw new PrescanError("malformed", "a string is not valid UTF-8");
    if (isKey && len === 9 && Buffer.from(bytes).toString("latin1") === "__proto__") throw new PrescanError("unsupported-type", "a map key is __proto__");
    pos += len;
  };
  const open = (count: number, isMap: boolean): void => {
    if (remaining.length >= maxDepth) throw new PrescanError("too-deep", `nesting deeper than ${maxDepth}`);
    // Each declared item needs at least one byte: refuse impossible counts before looping on them.
    const items = isMap ? count * 2 : count;
    if (items > buf.length - pos) throw new PrescanError("malformed", "a container declares more items than the body holds");
    if (items === 0) return;
    remaining.push(items);
    keyNext.push(isMap ? 1 : -1);
  };

  do {
    if (pos >= buf.length) throw new PrescanError("malformed", "the body ends inside a value");
    if (++nodes > maxNodes) throw new PrescanError("too-many-nodes", `more than ${maxNodes} values`);
    const depth = remaining.length;
    const isKey = depth > 0 && keyNext[depth - 1] === 1;
    const b = buf[pos++]!;
    if (isKey && !((b >= 0xa0 && b <= 0xbf) || b === 0xd9 || b === 0xda || b === 0xdb)) throw new PrescanError("unsupported-type", "map keys must be strings");
    if (b <= 0x7f || b >= 0xe0) {
      // fixint
    } else if (b <= 0x8f) open(b & 0x0f, true);
    else if (b <= 0x9f) open(b & 0x0f, false);
    else if (b <= 0xbf) str(b & 0x1f, isKey);
    else
      switch (b) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          break;
        case 0xc4:
        case 0xc5:
        case 0xc6: {
          const len = readLen(b === 0xc4 ? 1 : b === 0xc5 ? 2 : 4);
          need(len);
          pos += len;
          break;
        }
        case 0xca:
          need(4);
          pos += 4;
          break;
        case 0xcb:
          need(8);
          pos += 8;
          break;
        case 0xcc:
        case 0xd0:
          need(1);
          pos += 1;
          break;
        case 0xcd:
        case 0xd1:
          need(2);
          pos += 2;
          break;
        case 0xce:
        case 0xd2:
          need(4);
          pos += 4;
          break;
        case 0xcf:
        case 0xd3: {
          need(8);
          const v = b === 0xcf ? view.getBigUint64(pos) : view.getBigInt64(pos);
          if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new PrescanError("unsupported-type", "a 64-bit integer is outside ±2^53");
          pos += 8;
          break;
        }
        case 0xd6:
        case 0xd7: {
          need(1);
          if (view.getInt8(pos) !== TIMESTAMP_EXT) throw new PrescanError("unsupported-type", "extension types other than timestamp are not accepted");
          const len = b === 0xd6 ? 4 : 8;
          need(1 + len);
          pos += 1 + len;
          break;
        }
        case 0xc7: {
          const len = readLen(1);
          need(1);
          if (view.getInt8(pos) !== TIMESTAMP_EXT || len !== 12) throw new PrescanError("unsupported-type", "extension types other than timestamp are not accepted");
          need(1 + len);
          pos += 1 + len;
          break;
        }
        case 0xd9:
          str(readLen(1), isKey);
          break;
        case 0xda:
          str(readLen(2), isKey);
          break;
        case 0xdb:
          str(readLen(4), isKey);
          break;
        case 0xdc:
          open(readLen(2), false);
          break;
        case 0xdd:
          open(readLen(4), false);
          break;
        case 0xde:
          open(readLen(2), true);
          break;
        case 0xdf:
          open(readLen(4), true);
          break;
        default:
          // 0xc1 (never used), ext 8/16/32 and fixext 1/2/16 with any type, records and friends.
          throw new PrescanError("unsupported-type", `type byte 0x${b.toString(16)} is not accepted`);
      }
    // Close every container this value completed. A container opened by this value sits on top
    // with its full count, so only the enclosing ones are decremented.
    let top = remaining.length - 1;
    if (top >= depth) continue;
    while (top >= 0) {
      if (keyNext[top] !== -1) keyNext[top] = keyNext[top] === 1 ? 0 : 1;
      const left = remaining[top]! - 1;
      if (left > 0) {
        remaining[top] = left;
        break;
      }
      remaining.pop();
      keyNext.pop();
      top--;
    }
  } while (remaining.length > 0);
  if (pos !== buf.length) throw new PrescanError("malformed", "trailing bytes after the value");
}
