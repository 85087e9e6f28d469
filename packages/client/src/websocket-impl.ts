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
 * The runtime's WebSocket when it has one (browsers, Deno, Bun, Node ≥ 22),
 * else the `ws` package (Node 20 has no global WebSocket without a flag).
 */
export function defaultWebSocket(): WebSocketConstructor {
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  return global ?? (WsWebSocket as unknown as WebSocketConstructor);
}
