import { MAX_PAYLOAD_DEPTH } from "@mq/core";
import { Packr, Unpackr } from "msgpackr";
import { RequestError } from "./http-errors";
import { prescanMsgpack, PrescanError } from "./msgpack-prescan";

export const MSGPACK = "application/msgpack";
export const JSON_TYPE = "application/json";

const utf8 = new TextDecoder("utf-8", { fatal: true });
// Records off: untrusted peers must not define structures (MP1); each body decodes on its own (MP8).
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const packr = new Packr({ useRecords: false });

/** Decodes a JSON body, refusing invalid UTF-8 instead of inserting U+FFFD (V11). */
export function decodeJson(body: Buffer): unknown {
  if (body.length === 0) throw new RequestError(400, "MALFORMED_BODY", "the body is empty; send a JSON object or omit Content-Type");
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new RequestError(400, "MALFORMED_BODY", "the body is not valid UTF-8");
  }
  let value: unknown;
  try {
    // The reviver only runs when a `__proto__` key could be present (literally or through escapes).
    value = text.includes("__proto__") || text.includes("\\u") ? JSON.parse(text, rejectProto) : JSON.parse(text);
  } catch (error) {
    if (error instanceof RequestError) throw error;
    throw new RequestError(400, "MALFORMED_BODY", "the body is not valid JSON");
  }
  return value;
}

// `__proto__` keys are refused everywhere (DESIGN Decision 6, V13): never stored, never merged.
function rejectProto(key: string, value: unknown): unknown {
  if (key === "__proto__") throw new RequestError(422, "FORBIDDEN_KEY", "__proto__ is not accepted as a key");
  return value;
}

/**
 * Decodes a msgpack body after the allowlisting pre-scan (DESIGN Decision 6). Depth allows the
 * embedded host's payload depth plus the request envelope. Decoder text is never echoed (MP7).
 */
export function decodeMsgpack(body: Buffer, maxNodes: number): unknown {
  try {
    prescanMsgpack(body, { maxDepth: MAX_PAYLOAD_DEPTH + 4, maxNodes });
  } catch (error) {
    if (!(error instanceof PrescanError)) throw error;
    const status = error.problem === "malformed" ? 400 : error.problem === "too-many-nodes" ? 413 : 422;
    throw new RequestError(status, error.problem === "malformed" ? "MALFORMED_MSGPACK" : error.problem === "too-deep" ? "PAYLOAD_TOO_DEEP" : error.problem === "too-many-nodes" ? "TOO_MANY_VALUES" : "UNSUPPORTED_TYPE", error.message);
  }
  try {
    return unpackr.unpack(body) as unknown;
  } catch {
    throw new RequestError(400, "MALFORMED_MSGPACK", "the body is not valid msgpack");
  }
}

/** True when the client prefers msgpack replies (`Accept: application/msgpack`). */
export function wantsMsgpack(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes(MSGPACK);
}

/** Encodes a reply body in the negotiated format. */
export function encodeReply(value: unknown, msgpack: boolean): { type: string; body: Buffer | string } {
  // pack() returns a view of msgpackr's reused buffer; copy it before the next reply overwrites it.
  if (msgpack) return { type: MSGPACK, body: Buffer.from(packr.pack(value)) };
  return { type: `${JSON_TYPE}; charset=utf-8`, body: JSON.stringify(value, jsonReplacer) };
}

/** Encoded size of a payload, to enforce `maxMessageBytes`. */
export function encodedSize(value: unknown): number {
  return packr.pack(value).length;
}

// Binary payloads have no JSON form; they travel as base64 with a marker so they are not silently mangled.
function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $binary: Buffer.from(value).toString("base64") };
  if (typeof value === "object" && value !== null && (value as { type?: unknown }).type === "Buffer" && Array.isArray((value as { data?: unknown }).data))
    return { $binary: Buffer.from((value as { data: number[] }).data).toString("base64") };
  return value;
}
