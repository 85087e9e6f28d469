import type { MqError } from "@mq/core";
import { ConnectionError } from "@mq/core";
import { EventEmitter } from "eventemitter3";
import { errorFromWire, type WireErrorBody } from "./errors-from-wire";
import type { WebSocketConstructor, WebSocketLike } from "./websocket-impl";

/** Reconnect backoff of the client's WebSocket. */
export interface ReconnectOptions {
  /** First delay. @default 100 */
  readonly baseMs?: number;
  /** Largest delay. @default 5_000 */
  readonly maxMs?: number;
}

interface SessionEvents {
  /** Connected (first time or again); listeners re-send their state (watch, subscriptions). */
  open: (reconnect: boolean) => void;
  /** The socket dropped; a reconnect is scheduled unless the session is closed. */
  down: (error: MqError) => void;
  frame: (frame: { op: string } & Record<string, unknown>) => void;
}

/**
 * One WebSocket to the server that reconnects with exponential backoff and
 * full jitter, and matches replies to requests by `ref`. Requests made while
 * the socket is down fail at once with ConnectionError; so do requests
 * pending when it drops (their outcome is unknown).
 */
export class SocketSession extends EventEmitter<SessionEvents> {
  readonly #url: string;
  readonly #protocols: string[];
  readonly #WebSocket: WebSocketConstructor;
  readonly #baseMs: number;
  readonly #maxMs: number;
  #ws: WebSocketLike | undefined;
  #attempt = 0;
  #everOpen = false;
  #closed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ref = 0;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: MqError) => void }>();

  constructor(url: string, token: string | undefined, WebSocket: WebSocketConstructor, reconnect: ReconnectOptions = {}) {
    super();
    this.#url = url.replace(/^http/, "ws").replace(/\/+$/, "") + "/v1/ws";
    this.#protocols = ["mq.v1", ...(token === undefined ? [] : [`mq.auth.${Buffer.from(token, "utf8").toString("base64url")}`])];
    this.#WebSocket = WebSocket;
    this.#baseMs = reconnect.baseMs ?? 100;
    this.#maxMs = reconnect.maxMs ?? 5_000;
  }

  /** True while the socket is open. */
  get connected(): boolean {
    return this.#ws?.readyState === 1;
  }

  /** Connects; resolves on the first open, rejects with ConnectionError if that attempt fails. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onOpen = (): void => {
        this.off("down", onDown);
        resolve();
      };
      const onDown = (error: MqError): void => {
        this.off("open", onOpen);
        reject(error);
      };
      this.once("open", onOpen);
      this.once("down", onDown);
      this.#connect();
    });
  }

  /** Sends a request frame and resolves with the server's `ok` result. */
  request<T = unknown>(frame: Record<string, unknown>): Promise<T> {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState !== 1) return Promise.reject(new ConnectionError(this.#url, "WebSocket is not connected"));
    const ref = ++this.#ref;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(ref, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify({ ...frame, ref }));
    });
  }

  /** Sends a frame that needs no reply; dropped (false) while disconnected. */
  send(frame: Record<string, unknown>): boolean {
    if (this.#ws === undefined || this.#ws.readyState !== 1) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  /** Closes for good: no more reconnects. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#ws?.close(1000, "client closing");
    this.#failPending(new ConnectionError(this.#url, "client closed"));
  }

  #connect(): void {
    if (this.#closed) return;
    let ws: WebSocketLike;
    try {
      ws = new this.#WebSocket(this.#url, this.#protocols);
    } catch (error) {
      this.#down(new ConnectionError(this.#url, "could not open a WebSocket", { cause: error }));
      return;
    }
    this.#ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.#attempt = 0;
      const again = this.#everOpen;
      this.#everOpen = true;
      this.emit("open", again);
    };
    ws.onmessage = (ev) => {
      let frame: { op: string; ref?: number; result?: unknown; error?: WireErrorBody } & Record<string, unknown>;
      try {
        frame = JSON.parse(typeof ev.data === "string" ? ev.data : String(ev.data)) as typeof frame;
      } catch {
        return;
      }
      if ((frame.op === "ok" || frame.op === "error") && typeof frame.ref === "number") {
        const p = this.#pending.get(frame.ref);
        if (p !== undefined) {
          this.#pending.delete(frame.ref);
          if (frame.op === "ok") p.resolve(frame.result);
          else p.reject(errorFromWire(frame.error, 0, this.#url));
          return;
        }
      }
      this.emit("frame", frame);
    };
    ws.onerror = () => undefined; // onclose follows with the details that matter
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      this.#down(new ConnectionError(this.#url, opened ? `WebSocket closed (${ev.code})` : "WebSocket could not connect"));
    };
  }

  #down(error: MqError): void {
    this.#failPending(error);
    this.emit("down", error);
    if (this.#closed || !this.#everOpen) return;
    // Full jitter keeps a fleet of workers from reconnecting in lockstep after a server restart.
    const delay = Math.random() * Math.min(this.#maxMs, this.#baseMs * 2 ** this.#attempt++);
    this.#timer = setTimeout(() => this.#connect(), delay);
  }

  #failPending(error: MqError): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  }
}
