import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createQueueHost, type QueueHost } from "@mq/host";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Histogram } from "@opentelemetry/sdk-metrics";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { instrumentHost, METRICS, type HostInstrumentation } from "../src/index";
import { createTelemetry, until } from "./setup";

let telemetry: ReturnType<typeof createTelemetry>;
let host: QueueHost;
let instrumentation: HostInstrumentation | undefined;

beforeEach(() => {
  telemetry = createTelemetry();
  host = createQueueHost({ durability: "none" });
});
afterEach(async () => {
  instrumentation?.uninstrument();
  instrumentation = undefined;
  await host.stop({ drainTimeoutMs: 1_000 });
  await telemetry.shutdown();
});

const install = (): void => {
  instrumentation = instrumentHost(host, { tracerProvider: telemetry.tracerProvider, meterProvider: telemetry.meterProvider });
};
const named = (name: string): ReadableSpan[] => telemetry.spans().filter((s) => s.name === name);
const one = (name: string): ReadableSpan => {
  const found = named(name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe("traces", () => {
  it("enqueue: a PRODUCER span with messaging attributes whose context travels in the traceparent header", async () => {
    install();
    await host.start();
    const result = await host.enqueue("pull", { n: 1 }, { correlationId: "conv-1" });
    const send = one("send pull");
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.attributes).toMatchObject({
      "messaging.system": "mq",
      "messaging.destination.name": "pull",
      "messaging.operation.type": "send",
      "messaging.message.id": result.id,
      "messaging.message.conversation_id": "conv-1",
      "mq.enqueue.status": "created",
    });
    const [delivery] = await host.receive("pull");
    const { traceId, spanId } = send.spanContext();
    expect(delivery!.message.headers?.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    // A receive batch gets a CONSUMER span linked to each message it leased.
    const receive = one("receive pull");
    expect(receive.kind).toBe(SpanKind.CONSUMER);
    expect(receive.links.map((l) => l.context.spanId)).toEqual([spanId]);
    expect(receive.attributes["messaging.batch.message_count"]).toBe(1);
  });

  it("chained messages keep one trace: order → payment → shipping, each span the child of the one before", async () => {
    host.handle("orders", (_p, ctx) => ctx.publish("payments", { paid: true }));
    host.handle("payments", (_p, ctx) => ctx.publish("shipping", { label: "x" }));
    const shipped: string[] = [];
    host.handle("shipping", (_p, ctx) => void shipped.push(ctx.message.id));
    install();
    await host.start();
    await host.enqueue("orders", { id: "ORD-1" }, { correlationId: "ORD-1" });
    await until(() => shipped.length === 1);
    await until(() => named("process shipping").length === 1);
    const chain = ["send orders", "process orders", "create payments", "process payments", "create shipping", "process shipping"].map(one);
    const traceId = chain[0]!.spanContext().traceId;
    for (const span of chain) expect(span.spanContext().traceId, span.name).toBe(traceId);
    for (let i = 1; i < chain.length; i++) expect(parentOf(chain[i]!), chain[i]!.name).toBe(chain[i - 1]!.spanContext().spanId);
    // Consumers also link to the context they continue; every span carries the conversation id.
    expect(chain[1]!.links.map((l) => l.context.spanId)).toEqual([chain[0]!.spanContext().spanId]);
    for (const span of chain) expect(span.attributes["messaging.message.conversation_id"], span.name).toBe("ORD-1");
    expect(chain[5]!.attributes).toMatchObject({ "messaging.operation.type": "process", "messaging.message.id": shipped[0], "mq.message.attempt": 1 });
    expect(chain[2]!.attributes).toMatchObject({ "messaging.operation.type": "create", "messaging.destination.name": "payments" });
  });

  it("a failing handler: ERROR status and an exception event, then the retry's span succeeds", async () => {
    let calls = 0;
    host.handle(
      "jobs",
      () => {
        if (++calls === 1) throw new TypeError("boom");
      },
      { maxRetries: 2, backoff: 1 },
    );
    install();
    await host.start();
    await host.enqueue("jobs", 1);
    await until(() => named("process jobs").length === 2);
    const [failed, retried] = named("process jobs").sort((a, b) => Number(a.attributes["mq.message.attempt"]) - Number(b.attributes["mq.message.attempt"]));
    expect(failed!.status).toMatchObject({ code: SpanStatusCode.ERROR, message: "boom" });
    expect(failed!.attributes["error.type"]).toBe("TypeError");
    expect(failed!.events.map((e) => e.name)).toEqual(["exception"]);
    expect(failed!.events[0]!.attributes).toMatchObject({ "exception.type": "TypeError", "exception.message": "boom" });
    expect(retried!.status.code).toBe(SpanStatusCode.UNSET);
    // Both attempts continue the same producer span.
    expect(parentOf(failed!)).toBe(one("send jobs").spanContext().spanId);
    expect(parentOf(retried!)).toBe(one("send jobs").spanContext().spanId);
  });

  it("a failed enqueue ends its span with an error", async () => {
    install();
    await host.start();
    await expect(host.enqueue("", 1)).rejects.toThrow();
    const send = one("send ");
    expect(send.status.code).toBe(SpanStatusCode.ERROR);
    expect(send.events[0]!.name).toBe("exception");
  });

  it("enqueueBatch: one send span whose context every message carries; each consumer continues it and links to it", async () => {
    host.handle("batch", () => undefined, { maxParallelism: 3 });
    install();
    await host.start();
    await host.enqueueBatch([1, 2, 3].map((n) => ({ queue: "batch", payload: n })));
    await until(() => named("process batch").length === 3);
    const send = one("send batch");
    expect(send.attributes).toMatchObject({ "messaging.batch.message_count": 3, "messaging.destination.name": "batch", "messaging.operation.type": "send" });
    for (const process of named("process batch")) {
      expect(parentOf(process)).toBe(send.spanContext().spanId);
      expect(process.links[0]!.context.spanId).toBe(send.spanContext().spanId);
    }
  });

  it("a receive of messages from several traces links to each", async () => {
    install();
    await host.start();
    await host.enqueue("pull", 1);
    await host.enqueue("pull", 2);
    const deliveries = await host.receive("pull", { max: 10 });
    expect(deliveries).toHaveLength(2);
    const receive = one("receive pull");
    expect(receive.links.map((l) => l.context.traceId).sort()).toEqual(named("send pull").map((s) => s.spanContext().traceId).sort());
    expect(receive.links.map((l) => l.attributes?.["messaging.message.id"]).sort()).toEqual(deliveries.map((d) => d.message.id).sort());
  });

  it("without an SDK (the API's no-op tracer) no trace headers are added", async () => {
    instrumentation = instrumentHost(host, { meterProvider: telemetry.meterProvider });
    await host.start();
    await host.enqueue("pull", 1);
    await host.enqueueBatch([{ queue: "pull", payload: 2 }]);
    const deliveries = await host.receive("pull", { max: 10 });
    expect(deliveries.map((d) => d.message.headers)).toEqual([undefined, undefined]);
  });

  it("host.transaction(): one send span whose context its enqueues carry", async () => {
    const processed: string[] = [];
    host.handle("tx", (_p, ctx) => void processed.push(ctx.message.id));
    install();
    await host.start();
    await host.transaction((tx) => {
      tx.enqueue("tx", 1);
      tx.enqueue("tx", 2);
    });
    await until(() => named("process tx").length === 2);
    const send = one("send (transaction)");
    expect(send.attributes).toMatchObject({ "messaging.operation.name": "transaction", "messaging.batch.message_count": 2 });
    for (const p of named("process tx")) expect(parentOf(p)).toBe(send.spanContext().spanId);
  });

  it("publish to a topic and enqueue inside the application's own span nest under it", async () => {
    install();
    await host.start();
    await host.bind("events", "audit");
    const tracer = telemetry.tracerProvider.getTracer("app");
    await tracer.startActiveSpan("http POST /orders", async (span) => {
      await host.publish("events", { e: 1 });
      span.end();
    });
    const http = one("http POST /orders");
    const send = one("send events");
    expect(parentOf(send)).toBe(http.spanContext().spanId);
    expect(send.attributes).toMatchObject({ "messaging.operation.name": "publish", "mq.enqueue.status": "1 copies" });
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it("uninstrument() restores the host: no more spans or headers; instrumenting twice is refused", async () => {
    install();
    expect(() => instrumentHost(host, { tracerProvider: telemetry.tracerProvider })).toThrow(/already instrumented/);
    await host.start();
    instrumentation!.uninstrument();
    instrumentation = undefined;
    await host.enqueue("pull", 1);
    const [d] = await host.receive("pull");
    expect(d!.message.headers).toBeUndefined();
    expect(telemetry.spans()).toHaveLength(0);
    expect(Object.prototype.hasOwnProperty.call(host, "enqueue")).toBe(false);
  });
});

describe("no cost when not installed", () => {
  type Emitter = { eventNames(): (string | symbol)[]; listenerCount(event: string | symbol): number };
  const listeners = (emitter: Emitter, names: readonly string[]): Record<string, number> => Object.fromEntries(names.map((n) => [n, emitter.listenerCount(n)]));
  const ENGINE = ["enqueued", "delivered", "acked", "nacked", "deadLettered", "expired", "completed", "progress"];
  const DISPATCHER = ["started", "succeeded", "failed"];

  it("an uninstrumented host has no listener of ours; uninstrument() removes every listener, wrapper and middleware it added", async () => {
    let seenContext: unknown;
    host.handle("q", (_p, ctx) => void (seenContext = ctx));
    const engineBefore = listeners(host.events, ENGINE);
    const dispatcherBefore = listeners(host.dispatcher.events, DISPATCHER);
    // The engine builds an event only when someone listens: nothing listens to the per-message events by default.
    for (const name of ["enqueued", "acked", "deadLettered", "expired"]) expect(engineBefore[name], name).toBe(0);
    install();
    expect(host.events.listenerCount("enqueued")).toBeGreaterThan(engineBefore.enqueued!);
    expect((host.dispatcher.events as unknown as Emitter).listenerCount("started")).toBeGreaterThan(dispatcherBefore.started!);
    instrumentation!.uninstrument();
    instrumentation = undefined;
    expect(listeners(host.events as unknown as Emitter, ENGINE)).toEqual(engineBefore);
    expect(listeners(host.dispatcher.events as unknown as Emitter, DISPATCHER)).toEqual(dispatcherBefore);
    for (const name of ["enqueue", "enqueueBatch", "publish", "receive", "transaction"]) expect(Object.prototype.hasOwnProperty.call(host, name), name).toBe(false);
    await host.start();
    await host.enqueue("q", 1);
    await until(() => seenContext !== undefined);
    // The handler got the dispatcher's own context: no tracing middleware ran.
    expect((seenContext as object).constructor.name).not.toBe("TracedContext");
    expect(telemetry.spans()).toHaveLength(0);
  });

  it("imports only @opentelemetry/api at run time (a peer dependency); the SDK is for tests only", () => {
    const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith("@opentelemetry/"))).toEqual([]);
    expect(Object.keys(pkg.peerDependencies ?? {})).toEqual(["@opentelemetry/api"]);
    const src = path.join(root, "src");
    const imported = new Set<string>();
    for (const file of readdirSync(src).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      // Value imports only: `import type` vanishes at build time.
      for (const m of readFileSync(path.join(src, file), "utf8").matchAll(/^import (?!type )[^;]*? from "([^"]+)";/gms)) imported.add(m[1]!);
    }
    expect([...imported].filter((m) => m.startsWith("@opentelemetry/"))).toEqual(["@opentelemetry/api"]);
  });
});

describe("metrics", () => {
  it("counters, gauges and latency histograms labelled by queue", async () => {
    host.handle<number>(
      "work",
      async (n) => {
        await new Promise((r) => setTimeout(r, 5));
        if (n % 4 === 0) throw new Error("every fourth fails");
      },
      { maxParallelism: 4, maxRetries: 0 },
    );
    install();
    await host.start();
    for (let n = 1; n <= 12; n++) await host.enqueue("work", n);
    await host.enqueue("idle", "a");
    await host.enqueue("idle", "b");
    await host.enqueue("short", "gone", { ttlMs: 1 });
    await until(async () => (await host.stats("work")).totals.acked === 9 && (await host.deadLetters.count()) === 3);
    await new Promise((r) => setTimeout(r, 5));
    expect(await host.receive("short")).toEqual([]); // expires it
    const value = async (name: string, queue: string): Promise<number> => (await telemetry.metric(name, queue)).reduce((n, p) => n + (p.value as number), 0);
    expect(await value(METRICS.ENQUEUED, "work")).toBe(12);
    expect(await value(METRICS.ACKED, "work")).toBe(9);
    expect(await value(METRICS.FAILED, "work")).toBe(3);
    expect(await value(METRICS.DEAD_LETTERED, "work")).toBe(3);
    expect(await value(METRICS.EXPIRED, "short")).toBe(1);
    expect(await value(METRICS.DEPTH, "idle")).toBe(2);
    expect(await value(METRICS.DEPTH, "work")).toBe(0);
    expect(await value(METRICS.IN_FLIGHT, "work")).toBe(0);
    expect(await value(METRICS.DEAD_LETTERS, "work")).toBe(3);
    const durations = await telemetry.metric(METRICS.PROCESS_DURATION, "work");
    const total = durations.reduce((n, p) => n + (p.value as Histogram).count, 0);
    expect(total).toBe(12);
    const failedPoint = durations.find((p) => p.attributes["error.type"] === "Error")!;
    expect((failedPoint.value as Histogram).count).toBe(3);
    expect((failedPoint.value as Histogram).min).toBeGreaterThanOrEqual(0.004);
    const wait = await telemetry.metric(METRICS.WAIT_DURATION, "work");
    expect((wait[0]!.value as Histogram).count).toBe(12);
    expect(wait[0]!.attributes).toEqual({ "messaging.system": "mq", "messaging.destination.name": "work" });
  });

  it("with metrics: false and traces: false nothing is recorded", async () => {
    instrumentation = instrumentHost(host, { tracerProvider: telemetry.tracerProvider, meterProvider: telemetry.meterProvider, metrics: false, traces: false });
    await host.start();
    await host.enqueue("q", 1);
    expect(telemetry.spans()).toHaveLength(0);
    expect(await telemetry.metric(METRICS.ENQUEUED)).toEqual([]);
  });
});
