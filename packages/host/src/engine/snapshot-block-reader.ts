import type { Entry, EntryState } from "./entry";
import { fromSnapshotItem, NO_ATTEMPTS, type SnapshotItem } from "./snapshot-item";

/** Decodes one msgpack value in `bytes[start..end)` as the persistence adapter would. */
export type DecodeValue = (start: number, end: number) => unknown;

// The states a snapshot stores, by the length of their (distinct-length) names: matched byte for byte, so every entry shares one string each.
const STATE_BY_LENGTH: readonly (EntryState | undefined)[] = (() => {
  const byLength: (EntryState | undefined)[] = [];
  for (const state of ["ready", "delayed", "in-flight", "gone"] as const) byLength[state.length] = state;
  return byLength;
})();
const STATE_BYTES: readonly (Uint8Array | undefined)[] = STATE_BY_LENGTH.map((s) => (s === undefined ? undefined : Buffer.from(s, "latin1")));

const EMPTY = Buffer.alloc(0) as LatinBuffer;

/** Node's Buffer has a native latin1 slice (what `toString("latin1")` calls, without its argument checks). */
type LatinBuffer = Buffer & { latin1Slice(start: number, end: number): string };

/**
 * Reads a snapshot's item blocks (a msgpack array of {@link SnapshotItem}
 * tuples, as `toSnapshotItem` and the journal wrote them) straight into
 * entries: no array per item, one string per queue and per state, and each
 * payload a view of the snapshot's bytes as read (no copy). A restore of a
 * million messages spent most of its time building the decoder's
 * intermediate arrays and copying payloads; copying each block instead (to
 * pin less) still cost a quarter of the restore's CPU in page faults.
 *
 * The price: the snapshot's bytes stay in memory until the last message
 * restored from them is gone. That is never more than recovery itself held
 * (the payloads are most of those bytes), and a queue that drains frees it.
 *
 * The common fields in their common encodings are read here; any other value
 * (headers, a backoff, an attempt history, a non-ASCII string, a bigint) is
 * handed to the adapter's own decoder, so every item decodes exactly as it
 * would through `SnapshotSink.items`.
 */
export class SnapshotBlockReader {
  /** The adapter's bytes (the snapshot file as read), from this block's start. */
  #buf: LatinBuffer = EMPTY;
  #view = new DataView(EMPTY.buffer, 0, 0);
  #pos = 0;
  /** Where `#buf` starts in the adapter's bytes (for `#decode`). */
  #base = 0;
  #decode: DecodeValue = () => undefined;
  /** The last queue name read, and its bytes: consecutive items almost always share it. */
  #queue = "";
  #queueBytes: Uint8Array = EMPTY;

  /** Starts on the block in `bytes[start..end)`; returns how many items it holds. */
  open(bytes: Uint8Array, start: number, end: number, decode: DecodeValue): number {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start) as LatinBuffer;
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = 0;
    this.#base = start;
    this.#decode = decode;
    const head = this.#byte();
    if ((head & 0xf0) === 0x90) return head & 0x0f;
    if (head === 0xdc) return this.#u16();
    if (head === 0xdd) return this.#u32();
    throw new Error("snapshot item block is not an array");
  }

  /** Lets go of the snapshot's bytes (the payloads restored from them keep them alive). */
  close(): void {
    this.#buf = EMPTY;
    this.#view = new DataView(EMPTY.buffer, 0, 0);
    this.#decode = () => undefined;
  }

  /** The next item as an entry (one of state `gone` too: the caller skips those). */
  next(): Entry {
    const at = this.#pos;
    const head = this.#buf[at]!;
    let width: number;
    if ((head & 0xf0) === 0x90) {
      width = head & 0x0f;
      this.#pos = at + 1;
    } else if (head === 0xdc) {
      this.#pos = at + 1;
      width = this.#u16();
    } else width = 0;
    // Not a tuple this reader knows: decode it whole, as `items` would have had it.
    if (width < 15) return this.#fallbackItem(at);
    const entry: Entry = {
      id: this.#string(),
      queue: this.#queueName(),
      payload: this.#payload(),
      key: this.#optional() as string | undefined,
      version: this.#value() as number,
      priority: this.#value() as number,
      enqueuedAt: this.#value() as number,
      availableAt: this.#value() as number,
      expiresAt: this.#optional() as number | undefined,
      attempts: this.#value() as number,
      attemptTimestamps: this.#attempts(),
      correlationId: this.#optional() as string | undefined,
      causationId: this.#optional() as string | undefined,
      headers: this.#optional() as Record<string, string> | undefined,
      state: this.#state(),
      replayOrder: 0,
    };
    if (width > 15) {
      const maxAttempts = this.#value() as number | null;
      if (maxAttempts != null) entry.maxAttempts = maxAttempts;
    }
    if (width > 16) {
      const backoff = this.#value() as Entry["backoff"] | null;
      if (backoff != null) entry.backoff = backoff;
    }
    if (width > 17) {
      const group = this.#value() as string | null;
      const groupSeq = width > 18 ? (this.#value() as number | null) : undefined;
      if (group != null) {
        entry.group = group;
        entry.groupSeq = groupSeq ?? 0;
      }
    }
    // Fields a newer writer may add after these are not read (as `fromSnapshotItem` ignores them).
    for (let i = 19; i < width; i++) this.#skip();
    // A value cut off by the block's end reads as undefined rather than throwing: caught here, once per item.
    if (this.#pos > this.#buf.length) throw new Error("snapshot item block ends inside an item");
    return entry;
  }

  // ---- fields ----------------------------------------------------------

  #string(): string {
    const v = this.#value();
    if (typeof v !== "string") throw new Error(`snapshot item field is ${typeof v}, expected a string`);
    return v;
  }

  /** The queue name: the previous item's string when the bytes are the same. */
  #queueName(): string {
    const at = this.#pos;
    const head = this.#buf[at]!;
    if ((head & 0xe0) === 0xa0) {
      const n = head & 0x1f;
      if (n === this.#queueBytes.length && this.#same(at + 1, this.#queueBytes)) {
        this.#pos = at + 1 + n;
        return this.#queue;
      }
      const name = this.#string();
      this.#queue = name;
      this.#queueBytes = Uint8Array.prototype.slice.call(this.#buf, at + 1, at + 1 + n);
      return name;
    }
    return this.#string();
  }

  /** Binary as a view of the snapshot's bytes (anything else as the adapter decodes it). */
  #payload(): Uint8Array {
    const head = this.#buf[this.#pos]!;
    let n: number;
    if (head === 0xc4) {
      n = this.#buf[this.#pos + 1]!;
      this.#pos += 2;
    } else if (head === 0xc5) {
      this.#pos++;
      n = this.#u16();
    } else if (head === 0xc6) {
      this.#pos++;
      n = this.#u32();
    } else return this.#value() as Uint8Array;
    const at = this.#pos;
    if (at + n > this.#buf.length) throw new Error("snapshot item payload runs past its block");
    this.#pos = at + n;
    return new Uint8Array(this.#buf.buffer, this.#buf.byteOffset + at, n);
  }

  /** Most restored entries were never delivered: one shared empty history. */
  #attempts(): number[] {
    if (this.#buf[this.#pos] === 0x90) {
      this.#pos++;
      return NO_ATTEMPTS;
    }
    const v = this.#value() as number[];
    return v.length === 0 ? NO_ATTEMPTS : v;
  }

  #state(): EntryState {
    const at = this.#pos;
    const head = this.#buf[at]!;
    if ((head & 0xe0) === 0xa0) {
      const n = head & 0x1f;
      const bytes = STATE_BYTES[n];
      if (bytes !== undefined && this.#same(at + 1, bytes)) {
        this.#pos = at + 1 + n;
        return STATE_BY_LENGTH[n]!;
      }
    }
    return this.#value() as EntryState;
  }

  /** A value where null means absent. */
  #optional(): unknown {
    if (this.#buf[this.#pos] === 0xc0) {
      this.#pos++;
      return undefined;
    }
    return this.#value() ?? undefined;
  }

  // ---- msgpack ---------------------------------------------------------

  /** One value: the scalar encodings msgpackr writes are read here, the rest by the adapter's decoder. */
  #value(): unknown {
    const buf = this.#buf;
    const at = this.#pos;
    const head = buf[at]!;
    if (head < 0x80) {
      this.#pos = at + 1;
      return head;
    }
    if (head >= 0xe0) {
      this.#pos = at + 1;
      return head - 0x100;
    }
    if ((head & 0xe0) === 0xa0) return this.#ascii(at + 1, head & 0x1f, at);
    switch (head) {
      case 0xc0:
        this.#pos = at + 1;
        return null;
      case 0xc2:
        this.#pos = at + 1;
        return false;
      case 0xc3:
        this.#pos = at + 1;
        return true;
      case 0xcb:
        this.#pos = at + 9;
        return this.#view.getFloat64(at + 1);
      case 0xcc:
        this.#pos = at + 2;
        return buf[at + 1]!;
      case 0xcd:
        this.#pos = at + 3;
        return this.#view.getUint16(at + 1);
      case 0xce:
        this.#pos = at + 5;
        return this.#view.getUint32(at + 1);
      case 0xd0:
        this.#pos = at + 2;
        return this.#view.getInt8(at + 1);
      case 0xd1:
        this.#pos = at + 3;
        return this.#view.getInt16(at + 1);
      case 0xd2:
        this.#pos = at + 5;
        return this.#view.getInt32(at + 1);
      case 0xd9:
        return this.#ascii(at + 2, buf[at + 1]!, at);
      default:
        return this.#fallbackValue(at);
    }
  }

  /** A string of `n` bytes at `from` (header at `at`): sliced when ASCII, else decoded by the adapter (same UTF-8 rules). */
  #ascii(from: number, n: number, at: number): unknown {
    const buf = this.#buf;
    const end = from + n;
    if (end > buf.length) throw new Error("snapshot item string runs past its block");
    for (let i = from; i < end; i++) if (buf[i]! >= 0x80) return this.#fallbackValue(at);
    this.#pos = end;
    return buf.latin1Slice(from, end);
  }

  #fallbackValue(at: number): unknown {
    this.#pos = at;
    this.#skip();
    return this.#decode(this.#base + at, this.#base + this.#pos);
  }

  /** An item in a shape this reader does not read: the adapter decodes it (its payload a view of the same bytes). */
  #fallbackItem(at: number): Entry {
    const item = this.#fallbackValue(at) as SnapshotItem;
    if (!Array.isArray(item)) throw new Error("snapshot item is not an array");
    return fromSnapshotItem(item);
  }

  /** Moves past one value of any type. */
  #skip(): void {
    const buf = this.#buf;
    const head = buf[this.#pos++];
    if (head === undefined) throw new Error("snapshot item block ends inside a value");
    let n = 0;
    if (head < 0x80 || head >= 0xe0 || head === 0xc0 || head === 0xc2 || head === 0xc3) return;
    if ((head & 0xe0) === 0xa0) n = head & 0x1f;
    else if ((head & 0xf0) === 0x90) {
      for (let i = head & 0x0f; i > 0; i--) this.#skip();
      return;
    } else if ((head & 0xf0) === 0x80) {
      for (let i = (head & 0x0f) * 2; i > 0; i--) this.#skip();
      return;
    } else {
      switch (head) {
        case 0xcc:
        case 0xd0:
          n = 1;
          break;
        case 0xcd:
        case 0xd1:
          n = 2;
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          n = 4;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          n = 8;
          break;
        case 0xc4:
        case 0xd9:
          n = this.#byte();
          break;
        case 0xc5:
        case 0xda:
          n = this.#u16();
          break;
        case 0xc6:
        case 0xdb:
          n = this.#u32();
          break;
        case 0xd4:
          n = 2;
          break;
        case 0xd5:
          n = 3;
          break;
        case 0xd6:
          n = 5;
          break;
        case 0xd7:
          n = 9;
          break;
        case 0xd8:
          n = 17;
          break;
        case 0xc7:
          n = this.#byte() + 1;
          break;
        case 0xc8:
          n = this.#u16() + 1;
          break;
        case 0xc9:
          n = this.#u32() + 1;
          break;
        case 0xdc:
        case 0xdd: {
          const count = head === 0xdc ? this.#u16() : this.#u32();
          for (let i = 0; i < count; i++) this.#skip();
          return;
        }
        case 0xde:
        case 0xdf: {
          const count = head === 0xde ? this.#u16() : this.#u32();
          for (let i = 0; i < count * 2; i++) this.#skip();
          return;
        }
        default:
          throw new Error(`snapshot item holds an unknown msgpack type 0x${head.toString(16)}`);
      }
    }
    if (this.#pos + n > buf.length) throw new Error("snapshot item block ends inside a value");
    this.#pos += n;
  }

  #byte(): number {
    if (this.#pos >= this.#buf.length) throw new Error("snapshot item block ends inside a value");
    return this.#buf[this.#pos++]!;
  }

  #u16(): number {
    const v = this.#view.getUint16(this.#pos);
    this.#pos += 2;
    return v;
  }

  #u32(): number {
    const v = this.#view.getUint32(this.#pos);
    this.#pos += 4;
    return v;
  }

  /** Whether `bytes` are at `at` in this block. */
  #same(at: number, bytes: Uint8Array): boolean {
    const buf = this.#buf;
    if (at + bytes.length > buf.length) return false;
    for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false;
    return true;
  }
}
