import WsWebSocket from "ws";

/** The part of the WHATWG WebSocket API the client uses; both `ws` and global WebSocket fit. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor taking a URL and subprotocols. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/**
 * On Node, the `ws` package on every version (Node 20 has no global
 * WebSocket, and Node 22's reports a refused connection differently, so one
 * implementation keeps reconnects and errors the same everywhere); elsewhere
 * (browsers, Deno, Bun) the runtime's own WebSocket.
 */
export function defaultWebSocket(): WebSocketConstructor {
  const onNode = typeof process !== "undefined" && typeof process.versions?.node === "string";
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  return onNode || global === undefined ? (WsWebSocket as unknown as WebSocketConstructor) : global;
}
