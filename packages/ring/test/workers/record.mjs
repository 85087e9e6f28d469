// Test records: [producer u32][seq u32][payload, length varies with seq][fnv-1a of all before u32].
// The payload bytes and the length are derived from (producer, seq), so a
// consumer can verify a record completely without any other information.

export const MIN_RECORD = 12;

export function recordLength(seq, maxLength) {
  return MIN_RECORD + (seq % (maxLength - MIN_RECORD + 1));
}

export function encode(target, producer, seq, length) {
  const view = new DataView(target.buffer, target.byteOffset, length);
  view.setUint32(0, producer);
  view.setUint32(4, seq);
  for (let i = 8; i < length - 4; i++) target[i] = (producer * 131 + seq * 7 + i) & 255;
  view.setUint32(length - 4, fnv1a(target, length - 4));
  return target.subarray(0, length);
}

/** Returns { producer, seq } for an intact record, or undefined for a damaged one. */
export function decode(record, maxLength) {
  if (record.length < MIN_RECORD) return undefined;
  const view = new DataView(record.buffer, record.byteOffset, record.length);
  const producer = view.getUint32(0);
  const seq = view.getUint32(4);
  if (record.length !== recordLength(seq, maxLength)) return undefined;
  if (view.getUint32(record.length - 4) !== fnv1a(record, record.length - 4)) return undefined;
  for (let i = 8; i < record.length - 4; i++) if (record[i] !== ((producer * 131 + seq * 7 + i) & 255)) return undefined;
  return { producer, seq };
}

function fnv1a(bytes, length) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return hash >>> 0;
}
