import {
  AbortedError,
  AccessDeniedError,
  ConnectionError,
  DataDirLockedError,
  HandlerError,
  HostClosedError,
  InvalidArgumentError,
  InvalidOptionsError,
  InvalidPayloadError,
  JournalCorruptError,
  LeaseLostError,
  MessageInFlightError,
  NotSupportedError,
  MQ_ERROR_CODES,
  MqError,
  NotFoundError,
  PayloadTooLargeError,
  PersistenceError,
  QueueFullError,
  RateLimitedError,
  RecordTooLargeError,
  TimeoutError,
  UnrecoverableError,
  UnsupportedVersionError,
  VersionConflictError,
  type MqErrorCode,
} from "@mq/core";
import { createQueueHost } from "@mq/host";
import { errorResponse, HTTP_STATUS_BY_CODE } from "@mq/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorFromWire } from "../src/index";
import { openClient, sleep, startServer } from "./support";

// Jobs over the network: the client's optional QueueBackend methods, a host
// running on the client (`createQueueHost({ backend: client.backend })`), and
// every server error code coming back as its own MqError class.
let s: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  s = await startServer({ server: { tokens: { all: { admin: true }, prod: { produce: ["j-*"] }, cons: { consume: ["j-*"] } } } });
});
afterAll(async () => {
  await s.stop();
});

describe("a host on the network backend", () => {
  it("gets getMessage, cancel, result, waitForResult, schedule, unschedule and schedules", async () => {
    const client = await openClient(s.url, { token: "all" });
    const host = createQueueHost({ backend: client.backend });
    await host.start();
    try {
      await host.configureQueue("j-host", { keepCompleted: { count: 100 } });
      const handled = host.handle<{ n: number }>("j-host", async (payload, ctx) => {
        ctx.progress({ half: true });
        await sleep(50);
        return { doubled: payload.n * 2 };
      });
      const { id } = await host.enqueue("j-host", { n: 21 });
      const done = await host.waitForResult(id, { timeoutMs: 20_000 });
      expect(done).toMatchObject({ id, queue: "j-host", result: { doubled: 42 } });
      expect(await host.result(id)).toMatchObject({ result: { doubled: 42 } });
      expect(await host.getMessage("j-host", id)).toMatchObject({ state: "completed", result: { doubled: 42 } });
      await handled.unregister();

      const later = await host.enqueue("j-host", { n: 1 }, { delayMs: 600_000 });
      expect((await host.getMessage("j-host", later.id)).state).toBe("delayed");
      await host.cancel("j-host", later.id);
      await expect(host.cancel("j-host", later.id)).rejects.toBeInstanceOf(NotFoundError);

      const info = await host.schedule("j-nightly", { cron: "0 2 * * *", tz: "Europe/Berlin", queue: "j-host", payload: { report: true } });
      expect(info).toMatchObject({ name: "j-nightly", queue: "j-host", catchUp: "latest" });
      expect((await host.schedules()).map((x) => x.name)).toEqual(["j-nightly"]);
      expect(await host.unschedule("j-nightly")).toBe(true);
      expect(await host.unschedule("j-nightly")).toBe(false);
    } finally {
      await host.stop();
      await client.close();
    }
  });

  it("forwards progress and completed events from the server once someone listens, and only then", async () => {
    const worker = await openClient(s.url, { token: "all" });
    const watcher = await openClient(s.url, { token: "prod" });
    await worker.configureQueue("j-events", { keepCompleted: { count: 10 } });
    const seen: string[] = [];
    watcher.backend.events.on("progress", (e) => seen.push(`progress:${e.queue}:${JSON.stringify(e.value)}`));
    watcher.backend.events.on("completed", (e) => seen.push(`completed:${e.queue}:${JSON.stringify(e.result)}`));
    await watcher.backend.completion("00000000000000000000000000"); // waits until the server forwards them
    const { id } = await watcher.enqueue("j-events", 3);
    const [d] = await worker.receive("j-events", { max: 1, leaseMs: 30_000 });
    await worker.backend.progress(d!.receipt, 50);
    await worker.backend.ack([d!.receipt], [], { results: [9] });
    for (let i = 0; i < 200 && seen.length < 2; i++) await sleep(10);
    expect(seen).toEqual(["progress:j-events:50", "completed:j-events:9"]);
    expect(await watcher.result(id)).toMatchObject({ result: 9 });
    await worker.close();
    await watcher.close();
  });

  it("keeps a handler's return value through client.handle() and subscribe()", async () => {
    const c = await openClient(s.url, { token: "all" });
    await c.configureQueue("j-handle", { keepCompleted: { count: 10 } });
    await c.configureQueue("j-sub", { keepCompleted: { count: 10 } });
    c.handle<number>("j-handle", (n) => n + 1);
    const sub = c.subscribe<number>("j-sub", (d) => d.message.payload * 10, { credit: 2 });
    const a = await c.enqueue("j-handle", 1);
    const b = await c.enqueue("j-sub", 2);
    expect((await c.waitForResult(a.id, { timeoutMs: 20_000 })).result).toBe(2);
    expect((await c.waitForResult(b.id, { timeoutMs: 20_000 })).result).toBe(20);
    sub.close();
    await c.close();
  });
});

describe("MqClient job methods", () => {
  it("looks up, cancels (MessageInFlightError while leased) and waits with server long polls", async () => {
    const prod = await openClient(s.url, { token: "prod" });
    const cons = await openClient(s.url, { token: "cons" });
    const admin = await openClient(s.url, { token: "all" });
    await admin.configureQueue("j-client", { keepCompleted: { count: 10 } });
    const { id } = await prod.enqueue("j-client", { x: 1 });
    expect(await prod.getMessage<{ x: number }>("j-client", id)).toMatchObject({ state: "ready", message: { payload: { x: 1 } } });
    const [d] = await cons.receive("j-client", { max: 1, leaseMs: 30_000 });
    const busy = await prod.cancel("j-client", id).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(MessageInFlightError);
    expect(busy).toMatchObject({ code: MQ_ERROR_CODES.IN_FLIGHT, queue: "j-client", id });
    await expect(cons.cancel("j-client", id)).rejects.toBeInstanceOf(AccessDeniedError);
    const waiting = prod.waitForResult(id, { timeoutMs: 20_000 });
    await sleep(100);
    await cons.backend.progress(d!.receipt, "half");
    expect((await prod.getMessage("j-client", id)).progress).toBe("half");
    await cons.backend.ack([d!.receipt], [], { results: [{ ok: true }] });
    expect(await waiting).toMatchObject({ id, result: { ok: true } });
    expect(await prod.result("00000000000000000000000000")).toBeUndefined();
    await expect(prod.waitForResult("00000000000000000000000000", { timeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    await expect(prod.waitForResult("00000000000000000000000000", { signal: abort.signal })).rejects.toBeInstanceOf(AbortedError);
    // Schedules are an admin act.
    await expect(prod.schedule("j-s", { everyMs: 60_000, queue: "j-client", payload: 1 })).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(admin.schedule("j-s", { everyMs: 60_000, cron: "* * * * *", queue: "j-client", payload: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await prod.schedules()).toEqual([]);
    await Promise.all([prod.close(), cons.close(), admin.close()]);
  });

  it("rejects a wait for a message that is dead-lettered with UnrecoverableError", async () => {
    const c = await openClient(s.url, { token: "all" });
    await c.configureQueue("j-dead", { keepCompleted: { count: 10 } });
    const { id } = await c.enqueue("j-dead", 1);
    const waiting = c.waitForResult(id, { timeoutMs: 20_000 }).catch((e: unknown) => e);
    await sleep(100);
    const [d] = await c.receive("j-dead", { max: 1, leaseMs: 30_000 });
    await c.nack(d!.receipt, { deadLetter: true });
    const error = await waiting;
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toContain("dead-lettered");
    await c.close();
  });

  it("says so when the server has no such route, instead of answering 'absent'", async () => {
    const c = await openClient(s.url, { token: "all" });
    const http = (c.backend as unknown as { completion: (id: string) => Promise<unknown> }).completion.bind(c.backend);
    await expect(http("x")).resolves.toBeUndefined();
    const fromOldServer = errorFromWire({ code: "MQ_NOT_FOUND", message: "no route GET /v1/results/x", reason: "NO_SUCH_ROUTE" }, 404, "t");
    expect((fromOldServer as unknown as { detail: string }).detail).toBe("NO_SUCH_ROUTE");
    await c.close();
  });
});

describe("ordering groups and throttle over the network (issue 16)", () => {
  it("announces the server's capabilities and backs a subscriber off with RateLimitedError, attempt unused", async () => {
    const c = await openClient(s.url, { token: "all" });
    expect(c.backend.capabilities).toEqual({ groups: true, rateLimits: true, maxInFlight: true, throttle: true });
    await c.enqueue("j-throttle", "a", { group: "g" });
    await c.enqueue("j-throttle", "b", { group: "g" });
    const seen: string[] = [];
    const sub = c.subscribe<string>(
      "j-throttle",
      (d) => {
        seen.push(`${d.message.payload}@${d.attempt}`);
        if (seen.length === 1) throw new RateLimitedError(200);
      },
      { credit: 5 },
    );
    for (let i = 0; i < 500 && seen.length < 3; i++) await sleep(10);
    sub.close();
    // The group kept its order and the backed-off head was not charged an attempt.
    expect(seen).toEqual(["a@1", "a@1", "b@1"]);
    expect(await c.setLimits("j-throttle", { maxInFlight: 4, groupRateLimit: { max: 10, perMs: 1_000 } })).toEqual({ rateLimit: null, groupRateLimit: { max: 10, perMs: 1_000 }, maxInFlight: 4, groupOnFailure: "block" });
    expect((await c.limits("j-throttle")).maxInFlight).toBe(4);
    await expect(c.setLimits("j-throttle", { maxInFlight: 0 })).rejects.toBeInstanceOf(InvalidOptionsError);
    await c.close();
  });
});

describe("errors: every code the server sends comes back as its class", () => {
  const table: [MqErrorCode, MqError, new (...args: never[]) => MqError][] = [
    [MQ_ERROR_CODES.INVALID_OPTIONS, new InvalidOptionsError("host", [{ path: "x", message: "bad" }]), InvalidOptionsError],
    [MQ_ERROR_CODES.INVALID_ARGUMENT, new InvalidArgumentError("host", "queue", "bad"), InvalidArgumentError],
    [MQ_ERROR_CODES.INVALID_PAYLOAD, new InvalidPayloadError("payload.f", "a function"), InvalidPayloadError],
    [MQ_ERROR_CODES.PAYLOAD_TOO_LARGE, new PayloadTooLargeError("q", 10, 5), PayloadTooLargeError],
    [MQ_ERROR_CODES.QUEUE_FULL, new QueueFullError("q", "messages", 5), QueueFullError],
    [MQ_ERROR_CODES.LEASE_LOST, new LeaseLostError("r"), LeaseLostError],
    [MQ_ERROR_CODES.VERSION_CONFLICT, new VersionConflictError("k", 1, 2), VersionConflictError],
    [MQ_ERROR_CODES.NOT_FOUND, new NotFoundError("schedule", "s"), NotFoundError],
    [MQ_ERROR_CODES.HOST_CLOSED, new HostClosedError("host", "stopped"), HostClosedError],
    [MQ_ERROR_CODES.ABORTED, new AbortedError("receive"), AbortedError],
    [MQ_ERROR_CODES.TIMEOUT, new TimeoutError("x", 5), TimeoutError],
    [MQ_ERROR_CODES.PERSISTENCE, new PersistenceError("fsync failed", "EIO"), PersistenceError],
    [MQ_ERROR_CODES.JOURNAL_CORRUPT, new JournalCorruptError("/data/j", 12, "bad crc"), JournalCorruptError],
    [MQ_ERROR_CODES.DATA_DIR_LOCKED, new DataDirLockedError("/data", 1), DataDirLockedError],
    [MQ_ERROR_CODES.RECORD_TOO_LARGE, new RecordTooLargeError("ring", 10, 5), RecordTooLargeError],
    [MQ_ERROR_CODES.RING_FULL, new MqError({ code: MQ_ERROR_CODES.RING_FULL, message: "full" }), MqError],
    [MQ_ERROR_CODES.DEDUP_FULL, new MqError({ code: MQ_ERROR_CODES.DEDUP_FULL, message: "full" }), MqError],
    [MQ_ERROR_CODES.HANDLER_FAILED, new HandlerError("q", 42), HandlerError],
    [MQ_ERROR_CODES.UNSUPPORTED_VERSION, new UnsupportedVersionError("snapshot", 9, "newer"), UnsupportedVersionError],
    [MQ_ERROR_CODES.CONNECTION, new ConnectionError("upstream", "reset"), ConnectionError],
    [MQ_ERROR_CODES.ACCESS_DENIED, new AccessDeniedError("forbidden", "no"), AccessDeniedError],
    [MQ_ERROR_CODES.RATE_LIMITED, new RateLimitedError("slow down", 250), RateLimitedError],
    [MQ_ERROR_CODES.UNRECOVERABLE, new UnrecoverableError("final"), UnrecoverableError],
    [MQ_ERROR_CODES.IN_FLIGHT, new MessageInFlightError("q", "id-1"), MessageInFlightError],
    [MQ_ERROR_CODES.NOT_SUPPORTED, new NotSupportedError("peek", "its backend does not support peeking at a queue"), NotSupportedError],
    [MQ_ERROR_CODES.INTERNAL, new MqError({ code: MQ_ERROR_CODES.INTERNAL, message: "boom" }), MqError],
  ];

  it("covers every code in MQ_ERROR_CODES", () => {
    expect(new Set(table.map(([code]) => code))).toEqual(new Set(Object.values(MQ_ERROR_CODES)));
  });

  it.each(table)("%s round-trips through the server's error response", (code, thrown, Class) => {
    const { status, body } = errorResponse(thrown);
    expect(status).toBe(code === MQ_ERROR_CODES.ACCESS_DENIED ? 403 : HTTP_STATUS_BY_CODE[code]);
    const back = errorFromWire(JSON.parse(JSON.stringify(body.error)), status, "http://127.0.0.1:1");
    expect(back).toBeInstanceOf(Class);
    expect(back.code).toBe(code);
    expect(MqError.isInstance(back)).toBe(true);
    expect(back.message).toBe(body.error.message);
  });

  it("keeps the typed fields the server sends (MessageInFlightError queue and id, RateLimitedError retryAfterMs)", () => {
    const inFlight = errorFromWire(errorResponse(new MessageInFlightError("orders", "m-42")).body.error, 409, "t") as MessageInFlightError;
    expect([inFlight.queue, inFlight.id]).toEqual(["orders", "m-42"]);
    const notSupported = errorFromWire(errorResponse(new NotSupportedError("purge", "no purge")).body.error, 501, "t") as NotSupportedError;
    expect(notSupported.capability).toBe("purge");
    const limited = errorFromWire(errorResponse(new RateLimitedError("x", 1_500)).body.error, 429, "t") as RateLimitedError;
    expect(limited.retryAfterMs).toBe(1_500);
    const unknown = errorFromWire({ code: "MQ_FROM_THE_FUTURE", message: "?" }, 500, "t");
    expect(unknown.code).toBe(MQ_ERROR_CODES.INTERNAL);
  });
});
