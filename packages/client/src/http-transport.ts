import { AbortedError, ConnectionError, MqError } from "@mq/core";
import { Packr, Unpackr } from "msgpackr";
import { errorFromWire, type WireErrorBody } from "./errors-from-wire";

/** How a client talks HTTP to one server. */
export interface TransportOptions {
  /** Server base URL, e.g. `http://127.0.0.1:7070`. */
  readonly url: string;
  readonly token?: string;
  /** Wire format. msgpack carries binary payloads and dates faithfully. @default "msgpack" */
  readonly format?: "msgpack" | "json";
  /** Per-request timeout, added to any long-poll wait. @default 30_000 */
  readonly timeoutMs?: number;
  /** fetch implementation. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/**
 * fetch with the server's conventions: msgpack or JSON both ways, bearer
 * token, a timeout, server errors turned back into MqErrors and network
 * failures into ConnectionError (outcome unknown).
 */
export class HttpTransport {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #msgpack: boolean;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: TransportOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.#token = options.token;
    this.#msgpack = (options.format ?? "msgpack") === "msgpack";
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Sends one request; resolves with the decoded body (undefined for 204). */
  async request<T>(method: string, path: string, body?: unknown, opts: { signal?: AbortSignal | undefined; extraTimeoutMs?: number } = {}): Promise<T> {
    const type = this.#msgpack ? "application/msgpack" : "application/json";
    const headers: Record<string, string> = { accept: type };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers["content-type"] = type;
    const timeout = AbortSignal.timeout(this.#timeoutMs + (opts.extraTimeoutMs ?? 0));
    const signal = opts.signal === undefined ? timeout : AbortSignal.any([opts.signal, timeout]);
    let res: Response;
    try {
      res = await this.#fetch(this.url + path, {
        method,
        headers,
        signal,
        ...(body === undefined ? {} : { body: this.#msgpack ? Buffer.from(packr.pack(stripUndefined(body))) : JSON.stringify(body) }),
      });
    } catch (error) {
      throw this.#failure(error, opts.signal, timeout);
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (error) {
      throw this.#failure(error, opts.signal, timeout);
    }
    const decoded = bytes.length === 0 ? undefined : this.#decode(bytes, res.headers.get("content-type") ?? "");
    if (res.ok) return decoded as T;
    throw errorFromWire((decoded as { error?: WireErrorBody } | undefined)?.error, res.status, this.url);
  }

  #decode(bytes: Uint8Array, type: string): unknown {
    try {
      return type.startsWith("application/msgpack") ? unpackr.unpack(bytes) : JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      throw new ConnectionError(this.url, "the server sent a body that could not be decoded", { cause: error });
    }
  }

  #failure(error: unknown, signal: AbortSignal | undefined, timeout: AbortSignal): MqError {
    if (MqError.isInstance(error)) return error;
    if (signal?.aborted === true) return new AbortedError("request", signal.reason);
    if (timeout.aborted) return new ConnectionError(this.url, `no answer within ${this.#timeoutMs} ms`, { cause: error });
    const cause = (error as { cause?: { code?: string } }).cause;
    return new ConnectionError(this.url, cause?.code ?? (error instanceof Error ? error.message : "request failed"), { cause: error });
  }
}

// (Request bodies are copied out of msgpackr's reused buffer: fetch reads them later.)
// msgpackr writes `undefined` as an extension the server refuses; absent is what we mean.
function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined);
  if (value === null || typeof value !== "object" || value instanceof Uint8Array || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v);
  return out;
}
