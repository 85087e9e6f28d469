import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { MqError, NotSupportedError, toMqError, type Delivery } from "@mq/core";
import * as v from "valibot";
import { WebSocketServer, type WebSocket } from "ws";
import { authorize, type Principal } from "./auth";
import type { ServerContext } from "./context";
import { decodeMsgpack, encodeReply } from "./codec";
import { errorResponse } from "./error-status";
import { invalidField } from "./http-errors";
import { toWire } from "./routes/messages";
import { parse } from "./validation";

/** Path of the WebSocket endpoint. */
export const WS_PATH = "/v1/ws";
/** Subprotocol every client offers; a browser passes its token as `mq.auth.<base64url token>` beside it. */
export const WS_PROTOCOL = "mq.v1";
/**
 * The same protocol with binary msgpack frames both ways (binary payloads and
 * dates travel faithfully). Each frame passes the msgpack pre-scan and is
 * decoded on its own (MP8: no sequential/record state across frames).
 * Preferred when a client offers both.
 */
export const WS_MSGPACK_PROTOCOL = "mq.v1.msgpack";
const SLOW_READER_BYTES = 1_048_576;
/** Backend events a `watch` frame may ask for; each goes out as `{ op: "event", kind, event }`. */
export const FORWARDED_EVENTS = ["progress", "completed", "deadLettered"] as const;
type ForwardedEvent = (typeof FORWARDED_EVENTS)[number];

const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

/**
 * The WebSocket side: subscribe with credit-based flow control (the server
 * never sends more messages than the client granted), ack/nack/extend/release
 * on the socket, and `ready` notifications for the network QueueBackend. A
 * closed socket's leased messages are not handed back: they return when their
 * visibility timeout ends, exactly as for a crashed HTTP consumer (H5).
 */
export class WsGateway {
  readonly #ctx: ServerContext;
  readonly #wss: WebSocketServer;
  readonly #ops;
  readonly #sockets = new Set<Connection>();

  constructor(ctx: ServerContext) {
    this.#ctx = ctx;
    const o = ctx.options;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: o.maxFrameBytes,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(WS_MSGPACK_PROTOCOL) ? WS_MSGPACK_PROTOCOL : protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    });
    const receipt = v.pipe(v.string(), v.minLength(1), v.maxLength(512));
    const ref = v.optional(v.union([v.string(), v.number()]));
    this.#ops = v.variant("op", [
      v.strictObject({ op: v.literal("subscribe"), ref, queue: ctx.schemas.name, visibilityTimeoutMs: v.optional(int(1, o.maxLeaseMs)), credit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))) }),
      v.strictObject({ op: v.literal("unsubscribe"), ref, queue: ctx.schemas.name }),
      v.strictObject({ op: v.literal("credit"), ref, queue: ctx.schemas.name, n: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
      v.strictObject({ op: v.literal("ack"), ref, receipts: v.pipe(v.array(receipt), v.maxLength(o.maxBatch)), results: v.optional(v.pipe(v.array(v.unknown()), v.maxLength(o.maxBatch))) }),
      v.strictObject({ op: v.literal("progress"), ref, receipt, value: v.unknown() }),
      v.strictObject({ op: v.literal("throttle"), ref, receipt, ms: int(1, o.maxLeaseMs) }),
      v.strictObject({ op: v.literal("nack"), ref, receipt, delayMs: v.optional(int(0, o.maxDelayMs)), deadLetter: v.optional(v.boolean()), reason: v.optional(v.strictObject({ name: v.pipe(v.string(), v.maxLength(256)), message: v.pipe(v.string(), v.maxLength(4096)) })) }),
      v.strictObject({ op: v.literal("extend"), ref, receipt, visibilityTimeoutMs: int(1, o.maxLeaseMs) }),
      v.strictObject({ op: v.literal("release"), ref, receipts: v.pipe(v.array(receipt), v.maxLength(o.maxBatch)) }),
      v.strictObject({ op: v.literal("watch"), ref, queues: v.union([v.literal("*"), v.pipe(v.array(ctx.schemas.name), v.maxLength(1_000))]), events: v.optional(v.pipe(v.array(v.picklist(FORWARDED_EVENTS)), v.maxLength(FORWARDED_EVENTS.length))) }),
    ]);
  }

  /** Handles an HTTP upgrade: authenticates from `Authorization` or the `mq.auth.*` subprotocol, or answers 401/404. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = req.url ?? "";
    if (url.split("?")[0] !== WS_PATH) return refuse(socket, 404, "Not Found");
    let principal: Principal;
    try {
      principal = this.#ctx.tokens.authenticate(req.headers.authorization ?? tokenFromProtocols(req.headers["sec-websocket-protocol"]), req.socket);
      this.#ctx.limiter.take(principal.id);
    } catch (error) {
      const { status } = errorResponse(error);
      return refuse(socket, status, status === 429 ? "Too Many Requests" : "Unauthorized");
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new Connection(this.#ctx, ws, principal, this.#ops);
      this.#sockets.add(conn);
      ws.once("close", () => this.#sockets.delete(conn));
    });
  }

  /** Closes every socket (1001 going away). Their leases return after their visibility timeout. */
  close(): void {
    for (const c of this.#sockets) c.end(1001, "server shutting down");
    this.#wss.close();
  }

  /**
   * Re-checks every socket's token after the token table changed (A4): a
   * socket whose token was revoked, or that is subscribed to a queue its
   * token may no longer consume, is closed with 1008; the others carry on
   * with the new permissions.
   */
  recheckTokens(): void {
    for (const c of this.#sockets) {
      const now = this.#ctx.tokens.current(c.principal);
      if (now === undefined) c.end(1008, "token revoked");
      else if (!c.retarget(now)) c.end(1008, "token no longer allows a subscribed queue");
    }
  }

  /** Number of open sockets. */
  get size(): number {
    return this.#sockets.size;
  }
}

// ---------------------------------------------------------------------------

interface Subscription {
  readonly queue: string;
  readonly leaseMs: number | undefined;
  credit: number;
  pumping: boolean;
  readonly stop: AbortController;
}

class Connection {
  readonly #ctx: ServerContext;
  readonly #ws: WebSocket;
  #principal: Principal;
  readonly #ops: v.GenericSchema;
  readonly #subs = new Map<string, Subscription>();
  readonly #watched = new Set<string>();
  #watchAll = false;
  readonly #pendingReady = new Set<string>();
  #missedPongs = 0;
  readonly #ping: NodeJS.Timeout;
  readonly #onReady = (queue: string): void => this.#ready(queue);
  // One listener per forwarded kind, made once so `off` finds it.
  readonly #forwarders = Object.fromEntries(FORWARDED_EVENTS.map((kind) => [kind, (event: { queue: string }) => this.#forward(kind, event)])) as Record<ForwardedEvent, (event: { queue: string }) => void>;
  readonly #forwarding = new Set<ForwardedEvent>();
  #closed = false;
  readonly #msgpack: boolean;

  constructor(ctx: ServerContext, ws: WebSocket, principal: Principal, ops: v.GenericSchema) {
    this.#ctx = ctx;
    this.#msgpack = ws.protocol === WS_MSGPACK_PROTOCOL;
    this.#ws = ws;
    this.#principal = principal;
    this.#ops = ops;
    ws.on("message", (data, isBinary) => void this.#onFrame(data as Buffer, isBinary));
    ws.on("pong", () => (this.#missedPongs = 0));
    ws.on("close", () => this.#cleanup());
    ws.on("error", () => this.#cleanup());
    this.#ping = setInterval(() => {
      // DS14: two missed pongs end the socket; its leases come back after their timeout.
      if (++this.#missedPongs > 2) ws.terminate();
      else ws.ping();
    }, ctx.options.pingIntervalMs);
    this.#ping.unref();
  }

  get principal(): Principal {
    return this.#principal;
  }

  /** Switches to the token's new permissions; false when a subscription is no longer allowed. */
  retarget(principal: Principal): boolean {
    this.#principal = principal;
    for (const queue of this.#subs.keys()) if (!principal.can("consume", queue)) return false;
    return true;
  }

  end(code: number, reason: string): void {
    this.#ws.close(code, reason);
    this.#cleanup();
  }

  async #onFrame(data: Buffer, isBinary: boolean): Promise<void> {
    let msg: { op: string; ref?: string | number } & Record<string, unknown>;
    try {
      if (isBinary !== this.#msgpack) throw new Error(this.#msgpack ? "text frames are not accepted on mq.v1.msgpack; send msgpack binary frames" : "binary frames are not accepted on mq.v1; send JSON text");
      const decoded = this.#msgpack ? decodeMsgpack(data, 100_000) : (JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data)) as unknown);
      msg = parse(this.#ops, decoded, "frame") as typeof msg;
    } catch (error) {
      // A frame we cannot read is a protocol violation (1008), not a crash.
      this.#send({ op: "error", error: errorResponse(MqError.isInstance(error) ? error : toMqError(new Error(this.#msgpack ? "frame could not be read" : "frame is not valid JSON"))).body.error });
      return this.end(1008, "malformed frame");
    }
    try {
      const result = await this.#handle(msg);
      if (msg.ref !== undefined || result !== undefined) this.#send({ op: "ok", ref: msg.ref, ...(result === undefined ? {} : { result }) });
    } catch (error) {
      if (this.#closed) return;
      this.#send({ op: "error", ref: msg.ref, error: errorResponse(error).body.error });
    }
  }

  async #handle(msg: Record<string, unknown>): Promise<unknown> {
    const { host, signer, options } = this.#ctx;
    switch (msg.op) {
      case "subscribe": {
        const queue = msg.queue as string;
        authorize(this.#principal, "consume", queue);
        if (this.#subs.has(queue)) return undefined;
        const sub: Subscription = { queue, leaseMs: msg.visibilityTimeoutMs as number | undefined, credit: 0, pumping: false, stop: new AbortController() };
        this.#subs.set(queue, sub);
        this.#grant(sub, (msg.credit as number | undefined) ?? 0);
        return undefined;
      }
      case "unsubscribe": {
        const sub = this.#subs.get(msg.queue as string);
        sub?.stop.abort();
        this.#subs.delete(msg.queue as string);
        return undefined;
      }
      case "credit": {
        const sub = this.#subs.get(msg.queue as string);
        if (sub === undefined) throw new MqError({ code: "MQ_NOT_FOUND", message: `[mq:ws] not subscribed to "${String(msg.queue)}"; subscribe first` });
        this.#grant(sub, msg.n as number);
        return undefined;
      }
      case "ack": {
        const receipts = this.#open(msg.receipts as string[]);
        const results = msg.results as unknown[] | undefined;
        if (results === undefined) await host.ack(receipts);
        else {
          if (results.length !== receipts.length) throw invalidField("frame.results", "results needs one value per receipt, in the same order");
          await host.backend.ack(receipts, [], { results });
        }
        return undefined;
      }
      case "throttle": {
        const [engineReceipt] = this.#open([msg.receipt as string]);
        if (host.backend.throttle === undefined) throw new NotSupportedError("throttle", "this server's backend cannot throttle; nack with a delay instead", { part: "server" });
        await host.backend.throttle(engineReceipt!, msg.ms as number);
        return undefined;
      }
      case "progress": {
        const [engineReceipt] = this.#open([msg.receipt as string]);
        if (host.backend.progress === undefined) throw new NotSupportedError("progress", "this server's backend does not keep progress", { part: "server" });
        await host.backend.progress(engineReceipt!, msg.value);
        return undefined;
      }
      case "nack": {
        const [engineReceipt] = this.#open([msg.receipt as string]);
        const { op: _op, ref: _ref, receipt: _r, ...rest } = msg;
        return host.nack(engineReceipt!, rest);
      }
      case "extend": {
        const [engineReceipt] = this.#open([msg.receipt as string]);
        await host.extend(engineReceipt!, msg.visibilityTimeoutMs as number);
        return undefined;
      }
      case "release":
        await host.backend.release(this.#open(msg.receipts as string[]));
        return undefined;
      case "watch": {
        const queues = msg.queues as "*" | string[];
        if (queues === "*") this.#watchAll = true;
        else for (const q of queues) this.#watched.add(q);
        if (host.events.listeners("ready").includes(this.#onReady) === false) host.events.on("ready", this.#onReady);
        for (const kind of (msg.events as ForwardedEvent[] | undefined) ?? []) {
          if (this.#forwarding.has(kind)) continue;
          this.#forwarding.add(kind);
          host.events.on(kind, this.#forwarders[kind]);
        }
        void options;
        void signer;
        return undefined;
      }
      default:
        return undefined;
    }
  }

  #open(receipts: readonly string[]): string[] {
    return receipts.map((r) => {
      const { queue, engineReceipt } = this.#ctx.signer.open(r);
      authorize(this.#principal, "consume", queue);
      return engineReceipt;
    });
  }

  #grant(sub: Subscription, n: number): void {
    // DS12: outstanding credit is capped; an abusive grant ends the socket.
    if (sub.credit + n > this.#ctx.options.maxCredit) {
      this.end(1008, `credit above ${this.#ctx.options.maxCredit}`);
      return;
    }
    sub.credit += n;
    void this.#pump(sub);
  }

  async #pump(sub: Subscription): Promise<void> {
    if (sub.pumping) return;
    sub.pumping = true;
    try {
      while (!this.#closed && !sub.stop.signal.aborted && sub.credit > 0) {
        if (this.#ws.bufferedAmount > SLOW_READER_BYTES) {
          // DS13: a slow reader gets nothing more until its buffer drains; leases keep ticking.
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        let deliveries: Delivery[];
        try {
          deliveries = await this.#ctx.host.receive(sub.queue, {
            max: Math.min(sub.credit, this.#ctx.options.maxReceive),
            ...(sub.leaseMs === undefined ? {} : { leaseMs: sub.leaseMs }),
            waitMs: this.#ctx.options.maxWaitMs,
            signal: AbortSignal.any([sub.stop.signal, this.#ctx.closing]),
          });
        } catch (error) {
          if (this.#closed || sub.stop.signal.aborted || this.#ctx.closing.aborted) return;
          this.#send({ op: "error", error: errorResponse(error).body.error });
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        for (let i = 0; i < deliveries.length; i++) {
          if (this.#ws.bufferedAmount > SLOW_READER_BYTES || this.#closed) {
            // DS13: the reader fell behind within one batch. What was not sent goes back to
            // ready at once (attempt not used) and the credit stays, so server memory is
            // bounded by the threshold plus one message, and other consumers can take them.
            await this.#ctx.host.backend.release(deliveries.slice(i).map((d) => d.receipt)).catch(() => undefined);
            break;
          }
          sub.credit--;
          this.#send({ op: "message", queue: sub.queue, delivery: toWire(this.#ctx, sub.queue, deliveries[i]!) });
        }
      }
    } finally {
      sub.pumping = false;
    }
  }

  #ready(queue: string): void {
    if (!(this.#watchAll || this.#watched.has(queue)) || !this.#principal.can("consume", queue)) return;
    // Coalesce: one notification per queue per tick, however many enqueues.
    if (this.#pendingReady.size === 0)
      setImmediate(() => {
        for (const q of this.#pendingReady) this.#send({ op: "ready", queue: q });
        this.#pendingReady.clear();
      });
    this.#pendingReady.add(queue);
  }

  // Producers wait for results too, so either permission on the event's queue lets it through.
  #forward(kind: ForwardedEvent, event: { queue: string }): void {
    if (!this.#principal.can("consume", event.queue) && !this.#principal.can("produce", event.queue)) return;
    this.#send({ op: "event", kind, event });
  }

  #send(value: unknown): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(this.#msgpack ? encodeReply(value, true).body : JSON.stringify(value));
  }

  #cleanup(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#ping);
    this.#ctx.host.events.off("ready", this.#onReady);
    for (const kind of this.#forwarding) this.#ctx.host.events.off(kind, this.#forwarders[kind]);
    this.#forwarding.clear();
    for (const sub of this.#subs.values()) sub.stop.abort();
    this.#subs.clear();
  }
}

function tokenFromProtocols(header: string | undefined): string | undefined {
  const entry = header?.split(",").map((s) => s.trim()).find((p) => p.startsWith("mq.auth."));
  return entry === undefined ? undefined : `Bearer ${Buffer.from(entry.slice("mq.auth.".length), "base64url").toString("utf8")}`;
}

function refuse(socket: Duplex, status: number, text: string): void {
  const extra = status === 401 ? 'WWW-Authenticate: Bearer realm="mq"\r\n' : "";
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}
