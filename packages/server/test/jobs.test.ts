import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { AuditEvent } from "../src/index";
import { call, sleep, startServer } from "./support";

// Jobs over the network: lookup, cancel, progress, results and schedules, each
// route with good and bad input (401/403/404/409/422) over real sockets.
let s: Awaited<ReturnType<typeof startServer>>;
const audits: AuditEvent[] = [];
beforeAll(async () => {
  s = await startServer({
    tokens: {
      admin: { admin: true },
      prod: { produce: ["jobs-*"] },
      cons: { consume: ["jobs-*"] },
      other: { produce: ["elsewhere"], consume: ["elsewhere"], admin: ["elsewhere"] },
    },
    audit: (e) => audits.push(e),
  });
});
afterAll(async () => {
  await s.stop();
});

const as = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const send = async (queue: string, body: unknown = { payload: { n: 1 } }): Promise<string> => {
  const r = await call(s.url, "POST", `/v1/queues/${queue}/messages`, body, as("prod"));
  expect(r.status).toBe(201);
  return r.body.id as string;
};
const take = async (queue: string): Promise<{ receipt: string; message: { id: string } }> => {
  const r = await call(s.url, "POST", `/v1/queues/${queue}/receive`, { max: 1, visibilityTimeoutMs: 60_000 }, as("cons"));
  expect(r.body.messages).toHaveLength(1);
  return r.body.messages[0] as { receipt: string; message: { id: string } };
};

describe("GET /v1/queues/{queue}/messages/{id}", () => {
  it("reports a message's state to producers and consumers of its queue", async () => {
    const id = await send("jobs-look");
    const byProducer = await call(s.url, "GET", `/v1/queues/jobs-look/messages/${id}`, undefined, as("prod"));
    expect(byProducer.status).toBe(200);
    expect(byProducer.body).toMatchObject({ id, queue: "jobs-look", state: "ready", attempts: 0, message: { payload: { n: 1 } } });
    await take("jobs-look");
    expect((await call(s.url, "GET", `/v1/queues/jobs-look/messages/${id}`, undefined, as("cons"))).body).toMatchObject({ state: "in-flight", attempts: 1 });
  });

  it("answers state unknown for an id it does not know (200, as the QueueBackend contract does)", async () => {
    const r = await call(s.url, "GET", "/v1/queues/jobs-look/messages/0000000000000000000000none", undefined, as("prod"));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: "0000000000000000000000none", queue: "jobs-look", state: "unknown", attempts: 0 });
  });

  it("refuses no token (401), another queue's token (403) and a bad id or queue (422)", async () => {
    const id = await send("jobs-look");
    const none = await call(s.url, "GET", `/v1/queues/jobs-look/messages/${id}`);
    expect(none.status).toBe(401);
    expect(none.body.error.reason).toBe("unauthenticated");
    const forbidden = await call(s.url, "GET", `/v1/queues/jobs-look/messages/${id}`, undefined, as("other"));
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ code: "MQ_ACCESS_DENIED", reason: "forbidden" });
    const badId = await call(s.url, "GET", "/v1/queues/jobs-look/messages/a%20b", undefined, as("prod"));
    expect(badId.status).toBe(422);
    expect(badId.body.error.message).toContain("id");
    expect((await call(s.url, "GET", `/v1/queues/a%2Fb/messages/${id}`, undefined, as("prod"))).status).toBe(422);
  });
});

describe("DELETE /v1/queues/{queue}/messages/{id} (cancel)", () => {
  it("cancels a ready or delayed message (204), then 404; 409 MQ_IN_FLIGHT while leased", async () => {
    const held = await send("jobs-cancel");
    const ready = await send("jobs-cancel");
    const later = await send("jobs-cancel", { payload: 3, delayMs: 600_000 });
    const d = await take("jobs-cancel");
    expect(d.message.id).toBe(held);
    const busy = await call(s.url, "DELETE", `/v1/queues/jobs-cancel/messages/${held}`, undefined, as("prod"));
    expect(busy.status).toBe(409);
    expect(busy.body.error).toMatchObject({ code: "MQ_IN_FLIGHT", fields: { queue: "jobs-cancel", id: held } });
    expect(busy.body.error.message).toContain("being handled");
    expect((await call(s.url, "DELETE", `/v1/queues/jobs-cancel/messages/${ready}`, undefined, as("prod"))).status).toBe(204);
    expect((await call(s.url, "DELETE", `/v1/queues/jobs-cancel/messages/${later}`, undefined, as("admin"))).status).toBe(204);
    const again = await call(s.url, "DELETE", `/v1/queues/jobs-cancel/messages/${ready}`, undefined, as("prod"));
    expect(again.status).toBe(404);
    expect(again.body.error).toMatchObject({ code: "MQ_NOT_FOUND", fields: { id: ready } });
    const stats = (await call(s.url, "GET", "/v1/queues/jobs-cancel/stats", undefined, as("prod"))).body;
    expect([stats.ready, stats.delayed, stats.inFlight]).toEqual([0, 0, 1]);
    const audit = audits.filter((e) => e.action === "message.cancel");
    expect(audit.map((e) => e.outcome)).toEqual(["refused", "ok", "ok", "refused"]);
    expect(audit[1]!.target).toEqual({ queue: "jobs-cancel", id: ready });
  });

  it("refuses no token (401), a consume-only token (403) and a bad id (422)", async () => {
    const id = await send("jobs-cancel2");
    expect((await call(s.url, "DELETE", `/v1/queues/jobs-cancel2/messages/${id}`)).status).toBe(401);
    expect((await call(s.url, "DELETE", `/v1/queues/jobs-cancel2/messages/${id}`, undefined, as("cons"))).status).toBe(403);
    expect((await call(s.url, "DELETE", `/v1/queues/jobs-cancel2/messages/${id}`, undefined, as("other"))).status).toBe(403);
    expect((await call(s.url, "DELETE", "/v1/queues/jobs-cancel2/messages/a%2Fb", undefined, as("prod"))).status).toBe(422);
    // Path segments over Fastify's 100-character limit are 414 before any route runs.
    expect((await call(s.url, "DELETE", `/v1/queues/jobs-cancel2/messages/${"x".repeat(129)}`, undefined, as("prod"))).status).toBe(414);
    expect((await call(s.url, "GET", "/v1/queues/jobs-cancel2/stats", undefined, as("prod"))).body.ready).toBe(1);
  });
});

describe("POST /v1/progress", () => {
  it("keeps a running delivery's progress on the message; a settled receipt is 409", async () => {
    const id = await send("jobs-progress");
    const d = await take("jobs-progress");
    expect((await call(s.url, "POST", "/v1/progress", { receipt: d.receipt, value: { pct: 40 } }, as("cons"))).status).toBe(204);
    expect((await call(s.url, "GET", `/v1/queues/jobs-progress/messages/${id}`, undefined, as("prod"))).body.progress).toEqual({ pct: 40 });
    expect((await call(s.url, "POST", "/v1/ack", { receipts: [d.receipt] }, as("cons"))).status).toBe(204);
    const stale = await call(s.url, "POST", "/v1/progress", { receipt: d.receipt, value: 1 }, as("cons"));
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("MQ_LEASE_LOST");
  });

  it("refuses no token (401), another queue's token (403), a forged receipt (409) and bad bodies (422)", async () => {
    await send("jobs-progress");
    const d = await take("jobs-progress");
    expect((await call(s.url, "POST", "/v1/progress", { receipt: d.receipt, value: 1 })).status).toBe(401);
    expect((await call(s.url, "POST", "/v1/progress", { receipt: d.receipt, value: 1 }, as("other"))).status).toBe(403);
    expect((await call(s.url, "POST", "/v1/progress", { receipt: `x${d.receipt}`, value: 1 }, as("cons"))).status).toBe(409);
    expect((await call(s.url, "POST", "/v1/progress", { receipt: d.receipt }, as("cons"))).status).toBe(422);
    expect((await call(s.url, "POST", "/v1/progress", { receipt: d.receipt, value: 1, extra: true }, as("cons"))).status).toBe(422);
    expect((await call(s.url, "POST", "/v1/progress", { receipt: "", value: 1 }, as("cons"))).status).toBe(422);
  });
});

describe("results: POST /v1/ack { results } and GET /v1/results/{id}", () => {
  it("keeps the results of a queue with keepCompleted and serves them to its producers and consumers", async () => {
    expect((await call(s.url, "PUT", "/v1/queues/jobs-kept/settings", { keepCompleted: { count: 10 } }, as("admin"))).status).toBe(204);
    const a = await send("jobs-kept", { payload: 2 });
    const b = await send("jobs-kept", { payload: 3 });
    const got = (await call(s.url, "POST", "/v1/queues/jobs-kept/receive", { max: 2 }, as("cons"))).body.messages as { receipt: string; message: { payload: number } }[];
    const ack = await call(s.url, "POST", "/v1/ack", { receipts: got.map((g) => g.receipt), results: got.map((g) => ({ square: g.message.payload ** 2 })) }, as("cons"));
    expect(ack.status).toBe(204);
    const ra = await call(s.url, "GET", `/v1/results/${a}`, undefined, as("prod"));
    expect(ra.status).toBe(200);
    expect(ra.body).toMatchObject({ id: a, queue: "jobs-kept", result: { square: 4 } });
    expect(typeof ra.body.completedAt).toBe("number");
    expect((await call(s.url, "GET", `/v1/results/${b}`, undefined, as("cons"))).body.result).toEqual({ square: 9 });
    expect((await call(s.url, "GET", `/v1/queues/jobs-kept/messages/${b}`, undefined, as("cons"))).body).toMatchObject({ state: "completed", result: { square: 9 } });
    // Another queue's token cannot tell a kept result from a missing one (AZ2).
    const hidden = await call(s.url, "GET", `/v1/results/${a}`, undefined, as("other"));
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe("MQ_NOT_FOUND");
    expect((await call(s.url, "GET", "/v1/results/0000000000000000000000none", undefined, as("prod"))).status).toBe(404);
    expect((await call(s.url, "GET", `/v1/results/${a}`)).status).toBe(401);
  });

  it("waits for a result with ?waitMs= and answers 404 when none comes in time", async () => {
    await call(s.url, "PUT", "/v1/queues/jobs-wait/settings", { keepCompleted: { count: 10 } }, as("admin"));
    const id = await send("jobs-wait", { payload: 5 });
    const waiting = call(s.url, "GET", `/v1/results/${id}?waitMs=10000`, undefined, as("prod"));
    await sleep(100);
    const d = await take("jobs-wait");
    await call(s.url, "POST", "/v1/ack", { receipts: [d.receipt], results: ["done"] }, as("cons"));
    const r = await waiting;
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, result: "done" });
    const late = await send("jobs-wait");
    const none = await call(s.url, "GET", `/v1/results/${late}?waitMs=200`, undefined, as("prod"));
    expect(none.status).toBe(404);
  });

  it("refuses results that do not match the receipts, and a bad waitMs (422)", async () => {
    await send("jobs-kept");
    const d = await take("jobs-kept");
    const mismatch = await call(s.url, "POST", "/v1/ack", { receipts: [d.receipt], results: [1, 2] }, as("cons"));
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error.message).toContain("one value per receipt");
    expect((await call(s.url, "POST", "/v1/ack", { receipts: [d.receipt], results: "x" }, as("cons"))).status).toBe(422);
    expect((await call(s.url, "GET", `/v1/results/${d.message.id}?waitMs=-1`, undefined, as("prod"))).status).toBe(422);
    expect((await call(s.url, "GET", `/v1/results/${d.message.id}?waitMs=999999`, undefined, as("prod"))).status).toBe(422);
    expect((await call(s.url, "GET", `/v1/results/${d.message.id}?other=1`, undefined, as("prod"))).status).toBe(422);
    expect((await call(s.url, "GET", "/v1/results/a%20b", undefined, as("prod"))).status).toBe(422);
    expect((await call(s.url, "POST", "/v1/ack", { receipts: [d.receipt], results: [{ ok: true }] }, as("cons"))).status).toBe(204);
  });

  it("keeps per-message maxAttempts and backoff, and queue keepCompleted, through validation", async () => {
    const id = await send("jobs-limits", { payload: 1, maxAttempts: 2, backoff: { type: "exponential", baseMs: 100, maxMs: 1_000 } });
    const d = await take("jobs-limits");
    expect(d.message).toMatchObject({ id, maxAttempts: 2, backoff: { type: "exponential", baseMs: 100, maxMs: 1_000 } });
    expect((await call(s.url, "POST", "/v1/queues/jobs-limits/messages", { payload: 1, maxAttempts: 0 }, as("prod"))).status).toBe(422);
    expect((await call(s.url, "POST", "/v1/queues/jobs-limits/messages", { payload: 1, backoff: { type: "linear", baseMs: 1 } }, as("prod"))).status).toBe(422);
    expect((await call(s.url, "PUT", "/v1/queues/jobs-limits/settings", { keepCompleted: { count: 0 } }, as("admin"))).status).toBe(422);
    expect((await call(s.url, "PUT", "/v1/queues/jobs-limits/settings", { keepCompleted: { forever: true } }, as("admin"))).status).toBe(422);
  });
});

describe("schedules", () => {
  it("creates, lists, reads and deletes a schedule with an admin token; it fires into its queue", async () => {
    const put = await call(s.url, "PUT", "/v1/schedules/jobs-tick", { everyMs: 500, queue: "jobs-sched", payload: { tick: true }, options: { priority: 3 } }, as("admin"));
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: "jobs-tick", everyMs: 500, queue: "jobs-sched", catchUp: "latest" });
    expect(typeof put.body.nextFireAt).toBe("number");
    expect((await call(s.url, "GET", "/v1/schedules", undefined, as("admin"))).body.schedules.map((x: { name: string }) => x.name)).toContain("jobs-tick");
    expect((await call(s.url, "GET", "/v1/schedules/jobs-tick", undefined, as("admin"))).body.queue).toBe("jobs-sched");
    let fired: { message: { payload: unknown; priority: number; headers: Record<string, string> } }[] = [];
    for (let i = 0; i < 100 && fired.length === 0; i++) {
      fired = (await call(s.url, "POST", "/v1/queues/jobs-sched/receive", { max: 1, waitMs: 1_000 }, as("cons"))).body.messages;
    }
    expect(fired[0]!.message).toMatchObject({ payload: { tick: true }, priority: 3, headers: { "mq-schedule": "jobs-tick" } });
    expect((await call(s.url, "DELETE", "/v1/schedules/jobs-tick", undefined, as("admin"))).status).toBe(204);
    expect((await call(s.url, "DELETE", "/v1/schedules/jobs-tick", undefined, as("admin"))).status).toBe(404);
    expect((await call(s.url, "GET", "/v1/schedules/jobs-tick", undefined, as("admin"))).status).toBe(404);
    expect(audits.filter((e) => e.action.startsWith("schedule.")).map((e) => `${e.action}:${e.outcome}`)).toEqual(["schedule.put:ok", "schedule.delete:ok", "schedule.delete:refused"]);
  });

  it("shows a token only the schedules of queues it administers; others get 404 (AZ2) and 403 on create", async () => {
    await call(s.url, "PUT", "/v1/schedules/jobs-daily", { cron: "0 3 * * *", tz: "Europe/Berlin", queue: "jobs-sched", payload: 1 }, as("admin"));
    expect((await call(s.url, "GET", "/v1/schedules", undefined, as("other"))).body).toEqual({ schedules: [] });
    expect((await call(s.url, "GET", "/v1/schedules/jobs-daily", undefined, as("other"))).status).toBe(404);
    expect((await call(s.url, "DELETE", "/v1/schedules/jobs-daily", undefined, as("other"))).status).toBe(404);
    const create = await call(s.url, "PUT", "/v1/schedules/mine", { everyMs: 1_000, queue: "jobs-sched", payload: 1 }, as("prod"));
    expect(create.status).toBe(403);
    // Taking over another queue's schedule name is refused, without naming that queue.
    const hijack = await call(s.url, "PUT", "/v1/schedules/jobs-daily", { everyMs: 1_000, queue: "elsewhere", payload: 1 }, as("other"));
    expect(hijack.status).toBe(403);
    expect(hijack.body.error.message).not.toContain("jobs-sched");
    expect((await call(s.url, "GET", "/v1/schedules")).status).toBe(401);
    expect((await call(s.url, "GET", "/v1/schedules/jobs-daily", undefined, as("admin"))).body).toMatchObject({ cron: "0 3 * * *", tz: "Europe/Berlin" });
    expect((await call(s.url, "DELETE", "/v1/schedules/jobs-daily", undefined, as("admin"))).status).toBe(204);
  });

  it.each([
    ["both cron and everyMs", { cron: "* * * * *", everyMs: 1_000, queue: "jobs-sched", payload: 1 }],
    ["neither cron nor everyMs", { queue: "jobs-sched", payload: 1 }],
    ["an invalid cron pattern", { cron: "not a cron", queue: "jobs-sched", payload: 1 }],
    ["an unknown time zone", { cron: "* * * * *", tz: "Mars/Olympus", queue: "jobs-sched", payload: 1 }],
    ["everyMs of 0", { everyMs: 0, queue: "jobs-sched", payload: 1 }],
    ["an unknown field", { everyMs: 1_000, queue: "jobs-sched", payload: 1, every: 5 }],
    ["an unknown option", { everyMs: 1_000, queue: "jobs-sched", payload: 1, options: { id: "x" } }],
    ["a bad catchUp", { everyMs: 1_000, queue: "jobs-sched", payload: 1, catchUp: "some" }],
    ["no queue", { everyMs: 1_000, payload: 1 }],
  ])("refuses %s with 422", async (_name, body) => {
    const r = await call(s.url, "PUT", "/v1/schedules/jobs-bad", body, as("admin"));
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe("MQ_INVALID_ARGUMENT");
    expect((await call(s.url, "GET", "/v1/schedules/jobs-bad", undefined, as("admin"))).status).toBe(404);
  });

  it("refuses a bad schedule name (422)", async () => {
    expect((await call(s.url, "PUT", "/v1/schedules/-x", { everyMs: 1_000, queue: "jobs-sched", payload: 1 }, as("admin"))).status).toBe(422);
    expect((await call(s.url, "GET", "/v1/schedules/a%3Fb", undefined, as("admin"))).status).toBe(422);
  });
});

describe("peek and topic bindings", () => {
  it("peeks at ready messages without leasing them (consume), and lists a topic's visible bindings", async () => {
    await send("jobs-peek", { payload: "a" });
    await send("jobs-peek", { payload: "b", priority: 9 });
    const r = await call(s.url, "GET", "/v1/queues/jobs-peek/peek?limit=5", undefined, as("cons"));
    expect(r.status).toBe(200);
    expect(r.body.messages.map((m: { payload: string }) => m.payload)).toEqual(["b", "a"]);
    expect((await call(s.url, "GET", "/v1/queues/jobs-peek/stats", undefined, as("prod"))).body.inFlight).toBe(0);
    expect((await call(s.url, "GET", "/v1/queues/jobs-peek/peek", undefined, as("prod"))).status).toBe(403);
    expect((await call(s.url, "GET", "/v1/queues/jobs-peek/peek")).status).toBe(401);
    expect((await call(s.url, "GET", "/v1/queues/jobs-peek/peek?limit=0", undefined, as("cons"))).status).toBe(422);
    expect((await call(s.url, "GET", "/v1/queues/jobs-peek/peek?limit=101", undefined, as("cons"))).status).toBe(422);
    expect((await call(s.url, "GET", "/v1/queues/jobs-peek/peek?max=1", undefined, as("cons"))).status).toBe(422);
    await call(s.url, "PUT", "/v1/topics/jobs-topic/bindings/jobs-peek", undefined, as("admin"));
    await call(s.url, "PUT", "/v1/topics/jobs-topic/bindings/elsewhere", undefined, as("admin"));
    expect((await call(s.url, "GET", "/v1/topics/jobs-topic/bindings", undefined, as("admin"))).body.queues.sort()).toEqual(["elsewhere", "jobs-peek"]);
    expect((await call(s.url, "GET", "/v1/topics/jobs-topic/bindings", undefined, as("cons"))).body).toEqual({ queues: ["jobs-peek"] });
    expect((await call(s.url, "GET", "/v1/topics/nothing-bound/bindings", undefined, as("cons"))).body).toEqual({ queues: [] });
    expect((await call(s.url, "GET", "/v1/topics/a%2Fb/bindings", undefined, as("cons"))).status).toBe(422);
  });
});

describe("OpenAPI and the admin listener", () => {
  it("documents every new route", async () => {
    const doc = (await call(s.url, "GET", "/openapi.json")).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/v1/queues/{queue}/messages/{id}", "/v1/progress", "/v1/results/{id}", "/v1/schedules", "/v1/schedules/{name}", "/v1/queues/{queue}/peek", "/v1/topics/{topic}/bindings"]));
    expect(Object.keys(doc.paths["/v1/queues/{queue}/messages/{id}"])).toEqual(["get", "delete"]);
    expect(doc.components.schemas.ScheduleSpec.required).toEqual(["queue", "payload"]);
    expect(doc.components.schemas.QueueSettings.properties.keepCompleted).toBeDefined();
  });

  it("serves schedules only on the admin listener and cancel only on the main one (AZ8)", async () => {
    const a = await startServer({ adminListener: { port: 0 } });
    try {
      const admin = a.server.adminAddress!.url;
      expect((await call(a.url, "GET", "/v1/schedules")).status).toBe(404);
      expect((await call(admin, "GET", "/v1/schedules")).status).toBe(200);
      expect((await call(a.url, "PUT", "/v1/schedules/x", { everyMs: 1_000, queue: "q", payload: 1 })).status).toBe(404);
      const id = (await call(a.url, "POST", "/v1/queues/q/messages", { payload: 1 })).body.id as string;
      expect((await call(admin, "DELETE", `/v1/queues/q/messages/${id}`)).status).toBe(404);
      expect((await call(a.url, "DELETE", `/v1/queues/q/messages/${id}`)).status).toBe(204);
    } finally {
      await a.stop();
    }
  });
});

describe("WebSocket: progress, ack with results, forwarded events", () => {
  it("reports progress and acks with results on the socket, and forwards progress/completed to watchers", async () => {
    await call(s.url, "PUT", "/v1/queues/jobs-ws/settings", { keepCompleted: { count: 10 } }, as("admin"));
    const ws = new WebSocket(s.url.replace("http", "ws") + "/v1/ws", "mq.v1", { headers: as("cons") });
    const frames: { op: string; ref?: number; kind?: string; event?: Record<string, unknown>; error?: { code: string } }[] = [];
    ws.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString("utf8"))));
    await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
    const reply = async (ref: number): Promise<(typeof frames)[number]> => {
      for (let i = 0; i < 500; i++) {
        const f = frames.find((x) => x.ref === ref);
        if (f !== undefined) return f;
        await sleep(10);
      }
      throw new Error(`no reply to ${ref}`);
    };
    ws.send(JSON.stringify({ op: "watch", ref: 1, queues: "*", events: ["progress", "completed"] }));
    expect((await reply(1)).op).toBe("ok");
    const id = await send("jobs-ws", { payload: 7 });
    const d = await take("jobs-ws");
    ws.send(JSON.stringify({ op: "progress", ref: 2, receipt: d.receipt, value: 50 }));
    expect((await reply(2)).op).toBe("ok");
    ws.send(JSON.stringify({ op: "ack", ref: 3, receipts: [d.receipt], results: [1, 2] }));
    expect((await reply(3)).error?.code).toBe("MQ_INVALID_ARGUMENT");
    ws.send(JSON.stringify({ op: "ack", ref: 4, receipts: [d.receipt], results: [49] }));
    expect((await reply(4)).op).toBe("ok");
    expect((await call(s.url, "GET", `/v1/results/${id}`, undefined, as("cons"))).body.result).toBe(49);
    const events = frames.filter((f) => f.op === "event");
    expect(events.map((e) => [e.kind, e.event!.id])).toEqual([
      ["progress", id],
      ["completed", id],
    ]);
    expect(events[1]!.event).toMatchObject({ queue: "jobs-ws", result: 49 });
    ws.send(JSON.stringify({ op: "watch", queues: "*", events: ["everything"] }));
    expect(await new Promise((r) => ws.once("close", r))).toBe(1008);
  });

  it("forwards no events of queues the token may not see", async () => {
    await call(s.url, "PUT", "/v1/queues/jobs-hidden/settings", { keepCompleted: { count: 10 } }, as("admin"));
    const ws = new WebSocket(s.url.replace("http", "ws") + "/v1/ws", "mq.v1", { headers: as("other") });
    const frames: { op: string }[] = [];
    ws.on("message", (data: Buffer) => frames.push(JSON.parse(data.toString("utf8"))));
    await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
    ws.send(JSON.stringify({ op: "watch", queues: "*", events: ["completed", "progress", "deadLettered"] }));
    await sleep(50);
    await send("jobs-hidden");
    const d = await take("jobs-hidden");
    await call(s.url, "POST", "/v1/ack", { receipts: [d.receipt], results: ["secret"] }, as("cons"));
    await sleep(200);
    expect(frames.filter((f) => f.op === "event")).toEqual([]);
    ws.close();
  });
});

describe("ordering groups, limits and throttle (issue 16)", () => {
  it("announces the backend's capabilities", async () => {
    const r = await call(s.url, "GET", "/v1/capabilities", undefined, as("cons"));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ contractVersion: 1, capabilities: { groups: true, rateLimits: true, maxInFlight: true, throttle: true } });
    expect((await call(s.url, "GET", "/v1/capabilities")).status).toBe(401);
  });

  it("carries a message's group and delivers a group one at a time, in order", async () => {
    await send("jobs-groups", { messages: [{ payload: 1, group: "customer-42" }, { payload: 2, group: "customer-42" }] });
    const got = (await call(s.url, "POST", "/v1/queues/jobs-groups/receive", { max: 10 }, as("cons"))).body.messages;
    expect(got).toHaveLength(1);
    expect(got[0].message).toMatchObject({ payload: 1, group: "customer-42" });
    for (const group of ["", "x".repeat(257), "a\nb", 5]) {
      const bad = await call(s.url, "POST", "/v1/queues/jobs-groups/messages", { payload: 1, group }, as("prod"));
      expect(bad.status).toBe(422);
    }
  });

  it("sets limits through queue settings; bad ones are 422 MQ_INVALID_OPTIONS", async () => {
    const ok = await call(s.url, "PUT", "/v1/queues/jobs-limited/settings", { rateLimit: { max: 5, perMs: 1_000 }, groupRateLimit: { max: 1, perMs: 1_000 }, maxInFlight: 3, groupOnFailure: "skip" }, as("admin"));
    expect(ok.status).toBe(204);
    expect((await call(s.url, "GET", "/v1/queues/jobs-limited/stats", undefined, as("cons"))).body.settings).toMatchObject({ rateLimit: { max: 5, perMs: 1_000 }, maxInFlight: 3, groupOnFailure: "skip" });
    expect((await call(s.url, "PUT", "/v1/queues/jobs-limited/settings", { rateLimit: null, maxInFlight: null }, as("admin"))).status).toBe(204);
    for (const body of [{ rateLimit: { max: 0, perMs: 1_000 } }, { rateLimit: { max: 1 } }, { maxInFlight: 0 }, { groupOnFailure: "drop" }]) {
      const bad = await call(s.url, "PUT", "/v1/queues/jobs-limited/settings", body, as("admin"));
      expect(bad.status).toBe(422);
      expect(bad.body.error.code).toBe("MQ_INVALID_OPTIONS");
    }
    expect((await call(s.url, "PUT", "/v1/queues/jobs-limited/settings", { maxInFlight: 2 }, as("cons"))).status).toBe(403);
  });

  it("GET/PUT /v1/queues/{queue}/limits, as @mq/admin has them; 401/403/422, audited", async () => {
    const none = await call(s.url, "GET", "/v1/queues/jobs-lim/limits", undefined, as("prod"));
    expect(none.body).toEqual({ rateLimit: null, groupRateLimit: null, maxInFlight: null, groupOnFailure: "block" });
    const put = await call(s.url, "PUT", "/v1/queues/jobs-lim/limits", { rateLimit: { max: 100, perMs: 1_000 }, maxInFlight: 20 }, as("admin"));
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ rateLimit: { max: 100, perMs: 1_000 }, groupRateLimit: null, maxInFlight: 20, groupOnFailure: "block" });
    expect((await call(s.url, "PUT", "/v1/queues/jobs-lim/limits", { rateLimit: null }, as("admin"))).body).toMatchObject({ rateLimit: null, maxInFlight: 20 });
    expect((await call(s.url, "GET", "/v1/queues/jobs-lim/limits", undefined, as("cons"))).body.maxInFlight).toBe(20);
    expect((await call(s.url, "GET", "/v1/queues/jobs-lim/limits")).status).toBe(401);
    expect((await call(s.url, "GET", "/v1/queues/jobs-lim/limits", undefined, as("other"))).status).toBe(403);
    expect((await call(s.url, "PUT", "/v1/queues/jobs-lim/limits", { maxInFlight: 1 }, as("prod"))).status).toBe(403);
    for (const body of [{ maxInFlight: 0 }, { rateLimit: { max: 1.5, perMs: 10 } }, { capacity: 5 }, { groupOnFailure: "drop" }]) {
      const bad = await call(s.url, "PUT", "/v1/queues/jobs-lim/limits", body, as("admin"));
      expect(bad.status).toBe(422);
      expect(bad.body.error.code).toBe("MQ_INVALID_OPTIONS");
    }
    expect(audits.filter((e) => e.action === "queue.limits").map((e) => e.outcome)).toEqual(["ok", "ok", "denied", "refused", "refused", "refused", "refused"]);
  });

  it("POST /v1/throttle backs off without using an attempt; 401/403/409/422", async () => {
    await send("jobs-throttle", { payload: "t", group: "g" });
    const d = await take("jobs-throttle");
    expect((await call(s.url, "POST", "/v1/throttle", { receipt: d.receipt, ms: 1_000 })).status).toBe(401);
    expect((await call(s.url, "POST", "/v1/throttle", { receipt: d.receipt, ms: 1_000 }, as("other"))).status).toBe(403);
    expect((await call(s.url, "POST", "/v1/throttle", { receipt: d.receipt, ms: 0 }, as("cons"))).status).toBe(422);
    expect((await call(s.url, "POST", "/v1/throttle", { receipt: d.receipt }, as("cons"))).status).toBe(422);
    expect((await call(s.url, "POST", "/v1/throttle", { receipt: d.receipt, ms: 300 }, as("cons"))).status).toBe(204);
    const stale = await call(s.url, "POST", "/v1/throttle", { receipt: d.receipt, ms: 300 }, as("cons"));
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("MQ_LEASE_LOST");
    const again = (await call(s.url, "POST", "/v1/queues/jobs-throttle/receive", { max: 1, waitMs: 5_000 }, as("cons"))).body.messages;
    expect(again[0]).toMatchObject({ attempt: 1, message: { payload: "t" } });
  });
});
