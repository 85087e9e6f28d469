import { afterEach, describe, expect, it } from "vitest";
import { MQ_ERROR_CODES, type QueueHost } from "../src/index";
import { memoryHost } from "./support";

describe("enqueue validation and results", () => {
  let host: QueueHost;
  afterEach(() => host?.stop());

  const start = async (): Promise<QueueHost> => {
    host = memoryHost().host;
    await host.start();
    return host;
  };

  it.each([
    ["an empty queue name", () => host.enqueue("", 1), MQ_ERROR_CODES.INVALID_ARGUMENT, "queue"],
    ["a queue name that is too long", () => host.enqueue("q".repeat(201), 1), MQ_ERROR_CODES.INVALID_ARGUMENT, "200"],
    ["a negative delay", () => host.enqueue("q", 1, { delayMs: -5 }), MQ_ERROR_CODES.INVALID_ARGUMENT, "delayMs"],
    ["a priority out of range", () => host.enqueue("q", 1, { priority: 10 }), MQ_ERROR_CODES.INVALID_ARGUMENT, "priority"],
    ["a fractional priority", () => host.enqueue("q", 1, { priority: 1.5 }), MQ_ERROR_CODES.INVALID_ARGUMENT, "priority"],
    ["a function payload", () => host.enqueue("q", { run: () => 1 }), MQ_ERROR_CODES.INVALID_PAYLOAD, "payload.run"],
    ["a symbol payload", () => host.enqueue("q", Symbol("s")), MQ_ERROR_CODES.INVALID_PAYLOAD, "symbol"],
    ["a __proto__ key", () => host.enqueue("q", JSON.parse('{"__proto__":{"x":1}}')), MQ_ERROR_CODES.INVALID_PAYLOAD, "__proto__"],
    ["a non-string header", () => host.enqueue("q", 1, { headers: { n: 1 as never } }), MQ_ERROR_CODES.INVALID_ARGUMENT, "headers.n"],
    ["expectedVersion without a key", () => host.enqueue("q", 1, { expectedVersion: 1 }), MQ_ERROR_CODES.INVALID_ARGUMENT, "key"],
    ["both delayMs and availableAt", () => host.enqueue("q", 1, { delayMs: 1, availableAt: Date.now() }), MQ_ERROR_CODES.INVALID_ARGUMENT, "delayMs"],
  ])("rejects %s with a clear typed error and stores nothing", async (_what, call, code, mention) => {
    await start();
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toContain(mention);
    expect((await host.stats()).ready).toBe(0);
  });

  it("round-trips every payload type msgpack keeps faithfully", async () => {
    await start();
    const payload = { s: "text", n: 1.5, neg: -7, big: 2n ** 60n, t: true, f: false, nil: null, d: new Date(1_700_000_000_123), bin: new Uint8Array([0, 255, 7]), nested: [{ a: [1, [2, [3]]] }], empty: {}, nan: Number.NaN };
    await host.enqueue("q", payload);
    const [d] = await host.receive<typeof payload>("q");
    const got = d!.message.payload;
    expect(got.s).toBe("text");
    expect(got.big).toBe(2n ** 60n);
    expect(got.d).toEqual(new Date(1_700_000_000_123));
    expect([...got.bin]).toEqual([0, 255, 7]);
    expect(got.nested).toEqual([{ a: [1, [2, [3]]] }]);
    expect(got.nan).toBeNaN();
    expect(got).toMatchObject({ n: 1.5, neg: -7, t: true, f: false, nil: null, empty: {} });
  });

  it("keeps the payload the caller enqueued even if the caller mutates its object later", async () => {
    await start();
    const order = { id: "A", items: [1] };
    await host.enqueue("q", order);
    order.items.push(2);
    const [d] = await host.receive<typeof order>("q");
    expect(d!.message.payload.items).toEqual([1]);
  });

  it("enqueueBatch is atomic across queues and reports each result", async () => {
    await start();
    const results = await host.enqueueBatch([
      { queue: "a", payload: 1, key: "k1" },
      { queue: "b", payload: 2 },
      { queue: "a", payload: 3, key: "k1" },
    ]);
    expect(results.map((r) => r.status)).toEqual(["created", "created", "replaced"]);
    expect(results[2]?.id).toBe(results[0]?.id);
    const [a] = await host.receive("a", { max: 10 });
    expect(a?.message).toMatchObject({ payload: 3, version: 2 });
    await expect(host.enqueueBatch([{ queue: "a", payload: 4 }, { queue: "b", payload: { bad: () => 0 } }])).rejects.toMatchObject({ code: MQ_ERROR_CODES.INVALID_PAYLOAD });
    expect((await host.stats("a")).ready + (await host.stats("a")).inFlight).toBe(1);
  });

  it("sums every queue in stats() and stats(\"*\"), and reserves \"*\" as a name", async () => {
    await start();
    await host.enqueueBatch([{ queue: "a", payload: 1 }, { queue: "b", payload: 2 }, { queue: "b", payload: 3 }]);
    expect((await host.stats()).ready).toBe(3);
    expect(await host.stats("*")).toMatchObject({ queue: "*", ready: 3 });
    await expect(host.enqueue("*", 1)).rejects.toMatchObject({ code: MQ_ERROR_CODES.INVALID_ARGUMENT });
  });

  it("drops duplicates inside one batch in drop mode", async () => {
    host = memoryHost({ queues: { q: { dedupMode: "drop" } } }).host;
    await host.start();
    const results = await host.enqueueBatch([
      { queue: "q", payload: 1, key: "k" },
      { queue: "q", payload: 2, key: "k" },
    ]);
    expect(results.map((r) => r.status)).toEqual(["created", "duplicate"]);
    expect(results[1]?.id).toBe(results[0]?.id);
    expect((await host.stats("q")).totals.duplicates).toBe(1);
  });

  it("enforces the byte bound per queue", async () => {
    host = memoryHost({ queues: { q: { maxBytes: 100 } } }).host;
    await host.start();
    await host.enqueue("q", "x".repeat(60));
    await expect(host.enqueue("q", "y".repeat(60))).rejects.toMatchObject({ code: MQ_ERROR_CODES.QUEUE_FULL, limit: "bytes" });
  });
});
