import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { call, sleep, startServer } from "./support";

// WebSocket: credit-based flow control, acks on the socket, disconnect redelivery (H5), stale acks (H6).
let s: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  s = await startServer({ tokens: { t: { produce: ["*"], consume: ["ws-*"] } }, maxCredit: 50 });
});
afterAll(async () => {
  await s.stop();
});
const auth = { authorization: "Bearer t" };

type Frame = { op: string; ref?: number; queue?: string; delivery?: { receipt: string; attempt: number; message: { payload: unknown } }; error?: { code: string }; result?: unknown };

async function connect(headers: Record<string, string> = auth): Promise<{ ws: WebSocket; frames: Frame[]; next: (op: string, timeoutMs?: number) => Promise<Frame>; closed: Promise<number> }> {
  const ws = new WebSocket(s.url.replace("http", "ws") + "/v1/ws", "mq.v1", { headers });
  const frames: Frame[] = [];
  const waiters: { op: string; resolve: (f: Frame) => void }[] = [];
  ws.on("message", (d: Buffer) => {
    const f = JSON.parse(d.toString("utf8")) as Frame;
    const i = waiters.findIndex((w) => w.op === f.op);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(f);
    else frames.push(f);
  });
  const closed = new Promise<number>((r) => ws.on("close", (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const next = (op: string, timeoutMs = 5_000): Promise<Frame> => {
    const i = frames.findIndex((f) => f.op === op);
    if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      waiters.push({ op, resolve });
      setTimeout(() => reject(new Error(`no ${op} frame in ${timeoutMs} ms`)), timeoutMs);
    });
  };
  return { ws, frames, next, closed };
}

const sendMany = (queue: string, n: number) => call(s.url, "POST", `/v1/queues/${queue}/messages`, { messages: Array.from({ length: n }, (_, i) => ({ payload: i })) }, auth);

describe("WebSocket", () => {
  it("refuses an upgrade without a valid token (401) and on another path (404)", async () => {
    await expect(connect({})).rejects.toThrow(/401/);
    await expect(connect({ authorization: "Bearer nope" })).rejects.toThrow(/401/);
    const ws = new WebSocket(s.url.replace("http", "ws") + "/elsewhere", "mq.v1", { headers: auth });
    await expect(new Promise((_, reject) => ws.once("error", reject))).rejects.toThrow(/404/);
  });

  it("accepts the token as an mq.auth.* subprotocol (browsers cannot set headers)", async () => {
    const ws = new WebSocket(s.url.replace("http", "ws") + "/v1/ws", ["mq.v1", `mq.auth.${Buffer.from("t").toString("base64url")}`]);
    await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
    expect(ws.protocol).toBe("mq.v1");
    ws.close();
  });

  it("never sends more than the credit granted, and sends more as credit is granted", async () => {
    await sendMany("ws-flow", 20);
    const c = await connect();
    c.ws.send(JSON.stringify({ op: "subscribe", queue: "ws-flow", credit: 3, visibilityTimeoutMs: 60_000 }));
    const first = [await c.next("message"), await c.next("message"), await c.next("message")];
    await sleep(300);
    expect(c.frames.filter((f) => f.op === "message")).toHaveLength(0);
    c.ws.send(JSON.stringify({ op: "ack", ref: 1, receipts: first.map((f) => f.delivery!.receipt) }));
    expect((await c.next("ok")).ref).toBe(1);
    c.ws.send(JSON.stringify({ op: "credit", queue: "ws-flow", n: 2 }));
    await c.next("message");
    await c.next("message");
    await sleep(300);
    expect(c.frames.filter((f) => f.op === "message")).toHaveLength(0);
    const stats = (await call(s.url, "GET", "/v1/queues/ws-flow/stats", undefined, auth)).body;
    expect([stats.ready, stats.inFlight, stats.totals.acked]).toEqual([15, 2, 3]);
    c.ws.close();
  });

  it("pushes a message sent after subscribing, without polling (long-poll wake-up)", async () => {
    const c = await connect();
    c.ws.send(JSON.stringify({ op: "subscribe", queue: "ws-wake", credit: 1 }));
    await sleep(100);
    await call(s.url, "POST", "/v1/queues/ws-wake/messages", { payload: "hello" }, auth);
    expect((await c.next("message")).delivery!.message.payload).toBe("hello");
    c.ws.close();
  });

  it("nacks, extends and releases on the socket; a stale receipt answers LEASE_LOST", async () => {
    await sendMany("ws-ops", 3);
    const c = await connect();
    c.ws.send(JSON.stringify({ op: "subscribe", queue: "ws-ops", credit: 3, visibilityTimeoutMs: 60_000 }));
    const [a, b, d] = [await c.next("message"), await c.next("message"), await c.next("message")];
    c.ws.send(JSON.stringify({ op: "nack", ref: 1, receipt: a.delivery!.receipt, delayMs: 60_000 }));
    expect((await c.next("ok")).result).toMatchObject({ action: "retried" });
    c.ws.send(JSON.stringify({ op: "extend", ref: 2, receipt: b.delivery!.receipt, visibilityTimeoutMs: 90_000 }));
    await c.next("ok");
    c.ws.send(JSON.stringify({ op: "release", ref: 3, receipts: [d.delivery!.receipt] }));
    await c.next("ok");
    c.ws.send(JSON.stringify({ op: "ack", ref: 4, receipts: [a.delivery!.receipt] }));
    expect((await c.next("error")).error!.code).toBe("MQ_LEASE_LOST");
    c.ws.close();
  });

  it("H5: a dropped connection's leased messages come back after their visibility timeout, attempt + 1, nothing lost", async () => {
    await sendMany("ws-drop", 5);
    const c = await connect();
    c.ws.send(JSON.stringify({ op: "subscribe", queue: "ws-drop", credit: 5, visibilityTimeoutMs: 400 }));
    for (let i = 0; i < 5; i++) await c.next("message");
    c.ws.terminate(); // abrupt: no close frame, like a killed process
    const early = await call(s.url, "POST", "/v1/queues/ws-drop/receive", { max: 10 }, auth);
    expect(early.body.messages).toHaveLength(0);
    await sleep(700);
    const again = await call(s.url, "POST", "/v1/queues/ws-drop/receive", { max: 10, visibilityTimeoutMs: 60_000 }, auth);
    expect(again.body.messages.map((m: { message: { payload: number } }) => m.message.payload).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(again.body.messages.every((m: { attempt: number }) => m.attempt === 2)).toBe(true);
  });

  it("H6: a consumer paused past its lease cannot ack; the other consumer's ack stands", async () => {
    await sendMany("ws-pause", 1);
    const slow = (await call(s.url, "POST", "/v1/queues/ws-pause/receive", { max: 1, visibilityTimeoutMs: 200 }, auth)).body.messages[0];
    await sleep(400);
    const fast = (await call(s.url, "POST", "/v1/queues/ws-pause/receive", { max: 1, visibilityTimeoutMs: 60_000 }, auth)).body.messages[0];
    expect(fast.message.id).toBe(slow.message.id);
    expect((await call(s.url, "POST", "/v1/ack", { receipts: [fast.receipt] }, auth)).status).toBe(204);
    expect((await call(s.url, "POST", "/v1/ack", { receipts: [slow.receipt] }, auth)).status).toBe(409);
    expect((await call(s.url, "GET", "/v1/queues/ws-pause/stats", undefined, auth)).body.totals.acked).toBe(1);
  });

  it("DS12: a grant above the credit cap, a negative grant or a malformed frame closes the socket with 1008", async () => {
    for (const frame of [{ op: "subscribe", queue: "ws-abuse", credit: 51 }, { op: "credit", queue: "ws-abuse", n: -1 }, "not json", { op: "subscribe", queue: "ws-abuse", credit: "NaN" }]) {
      const c = await connect();
      if (typeof frame !== "string" && frame.op === "credit") c.ws.send(JSON.stringify({ op: "subscribe", queue: "ws-abuse", credit: 1 }));
      c.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
      expect(await c.closed).toBe(1008);
    }
  });

  it("refuses subscribing to a queue the token may not consume (403 frame), and sends ready notifications to watchers", async () => {
    const c = await connect();
    c.ws.send(JSON.stringify({ op: "subscribe", ref: 9, queue: "other", credit: 1 }));
    expect((await c.next("error")).error!.code).toBe("MQ_ACCESS_DENIED");
    c.ws.send(JSON.stringify({ op: "watch", ref: 10, queues: "*" }));
    await c.next("ok");
    await call(s.url, "POST", "/v1/queues/ws-watch/messages", { payload: 1 }, auth);
    await call(s.url, "POST", "/v1/queues/other/messages", { payload: 1 }, auth);
    expect((await c.next("ready")).queue).toBe("ws-watch");
    await sleep(100);
    expect(c.frames.filter((f) => f.op === "ready" && f.queue === "other")).toHaveLength(0);
    c.ws.close();
  });

  it("DS10/DS14: a frame over maxFrameBytes closes with 1009; a peer that stops answering pings is dropped", async () => {
    const small = await startServer({ maxFrameBytes: 1_024, pingIntervalMs: 100 });
    try {
      const big = new WebSocket(small.url.replace("http", "ws") + "/v1/ws", "mq.v1");
      await new Promise((r, j) => (big.once("open", r), big.once("error", j)));
      const bigClosed = new Promise<number>((r) => big.once("close", (code) => r(code)));
      big.send(JSON.stringify({ op: "watch", queues: ["x".repeat(2_000)] }));
      expect(await bigClosed).toBe(1009);
      const mute = new WebSocket(small.url.replace("http", "ws") + "/v1/ws", "mq.v1", { autoPong: false });
      await new Promise((r, j) => (mute.once("open", r), mute.once("error", j)));
      const started = Date.now();
      await new Promise((r) => mute.once("close", r));
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await small.stop();
    }
  });
});
