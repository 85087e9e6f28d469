// One load-generating process for server.bench.ts. Prints one JSON line: { count, ms }.
import WebSocket from "ws";

const { MQ_URL: url, MODE: mode, COUNT, QUEUE = "bench" } = process.env;
const count = Number(COUNT);
const JSON_HEADERS = { "content-type": "application/json" };
const payload = { body: "x".repeat(240) };

async function post(path, body) {
  const res = await fetch(url + path, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  return text === "" ? undefined : JSON.parse(text);
}

async function send() {
  // Four batches of 100 in flight per process.
  let left = Math.ceil(count / 100);
  const lane = async () => {
    while (left-- > 0) await post(`/v1/queues/${QUEUE}/messages`, { messages: Array.from({ length: 100 }, () => ({ payload })) });
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  return Math.ceil(count / 100) * 100;
}

async function httpReceive() {
  let got = 0;
  const lane = async () => {
    for (;;) {
      const { messages } = await post(`/v1/queues/${QUEUE}/receive`, { max: 100, visibilityTimeoutMs: 60_000, waitMs: 200 });
      if (messages.length === 0) return;
      await post("/v1/ack", { receipts: messages.map((m) => m.receipt) });
      got += messages.length;
    }
  };
  await Promise.all([lane(), lane()]);
  return got;
}

async function wsReceive() {
  const ws = new WebSocket(url.replace("http", "ws") + "/v1/ws", "mq.v1");
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  let got = 0;
  let pending = [];
  let idle;
  return new Promise((resolve) => {
    const flush = () => {
      if (pending.length === 0) return;
      ws.send(JSON.stringify({ op: "ack", receipts: pending }));
      ws.send(JSON.stringify({ op: "credit", queue: QUEUE, n: pending.length }));
      pending = [];
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        flush();
        ws.close();
        resolve(got);
      }, 500);
    };
    ws.on("message", (data) => {
      const f = JSON.parse(String(data));
      if (f.op !== "message") return;
      got++;
      pending.push(f.delivery.receipt);
      if (pending.length >= 100) flush();
      else if (pending.length === 1) setImmediate(flush);
      arm();
    });
    ws.send(JSON.stringify({ op: "subscribe", queue: QUEUE, credit: 400, visibilityTimeoutMs: 60_000 }));
    arm();
  });
}

const start = performance.now();
const n = mode === "send" ? await send() : mode === "http-recv" ? await httpReceive() : await wsReceive();
// The WebSocket reader waits 500 ms of silence before it stops; that wait is not work.
const ms = performance.now() - start - (mode === "ws-recv" ? 500 : 0);
process.stdout.write(`${JSON.stringify({ count: n, ms })}\n`);
