import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdminApi, createAdminServer, renderPrometheus, type AdminServer } from "../src/index";
import type { QueueHost } from "@mq/host";
import { startHost } from "./support";

const TOKEN = "limits-token-0123456789";
let host: QueueHost;
let server: AdminServer;

beforeAll(async () => {
  host = await startHost();
  server = await createAdminServer(host, { port: 0, token: TOKEN });
});
afterAll(async () => {
  await server?.close();
  await host?.stop({ drainTimeoutMs: 1_000 });
});

const put = (path: string, body: unknown, token: string | null = TOKEN): Promise<Response> =>
  fetch(server.url + path, {
    method: "PUT",
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("queue limits through admin", () => {
  it("reads and changes limits programmatically; null removes one; the host applies them at once", async () => {
    const api = createAdminApi(host);
    expect(await api.limits("pull")).toEqual({ rateLimit: null, groupRateLimit: null, maxInFlight: null, groupOnFailure: "block" });
    expect(await api.setLimits("pull", { maxInFlight: 1, rateLimit: { max: 5, perMs: 1_000 } })).toEqual({ rateLimit: { max: 5, perMs: 1_000 }, groupRateLimit: null, maxInFlight: 1, groupOnFailure: "block" });
    await host.enqueue("pull", 2);
    expect(await host.receive("pull", { max: 10 })).toHaveLength(1); // capped in flight
    expect(await api.setLimits("pull", { maxInFlight: null })).toMatchObject({ maxInFlight: null, rateLimit: { max: 5, perMs: 1_000 } });
    expect(await host.receive("pull", { max: 10 })).toHaveLength(1);
    await expect(api.setLimits("pull", { maxInFlight: 0 })).rejects.toMatchObject({ code: "MQ_INVALID_ARGUMENT" });
    await expect(api.setLimits("pull", { rateLimit: { max: 1 } as never })).rejects.toMatchObject({ code: "MQ_INVALID_ARGUMENT" });
    await expect(api.setLimits("pull", { nope: 1 } as never)).rejects.toMatchObject({ code: "MQ_INVALID_ARGUMENT" });
    await api.setLimits("pull", { rateLimit: null });
  });

  it("GET /api/queues/:queue/limits and PUT (bearer token, schema-validated)", async () => {
    const read = await fetch(`${server.url}/api/queues/orders/limits`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ rateLimit: null, groupRateLimit: null, maxInFlight: null, groupOnFailure: "block" });
    expect((await put("/api/queues/orders/limits", { maxInFlight: 3 }, null)).status).toBe(401);
    expect((await put("/api/queues/orders/limits", { maxInFlight: 3 }, "wrong-token-0123456789")).status).toBe(401);
    expect((await put("/api/queues/orders/limits", { maxInFlight: 0 })).status).toBe(400);
    expect((await put("/api/queues/orders/limits", { rateLimit: { max: 1, perMs: 10, extra: 1 } })).status).toBe(400);
    expect((await put("/api/queues/orders/limits", { surprise: true })).status).toBe(400);
    const ok = await put("/api/queues/orders/limits", { groupRateLimit: { max: 2, perMs: 500 }, groupOnFailure: "skip" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ rateLimit: null, groupRateLimit: { max: 2, perMs: 500 }, maxInFlight: null, groupOnFailure: "skip" });
    expect((await host.stats("orders")).settings).toMatchObject({ groupRateLimit: { max: 2, perMs: 500 }, groupOnFailure: "skip" });
    const cleared = await put("/api/queues/orders/limits", { groupRateLimit: null, groupOnFailure: "block" });
    expect(await cleared.json()).toMatchObject({ groupRateLimit: null, groupOnFailure: "block" });
  });

  it("documents the limits routes in the OpenAPI document", async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const path = doc.paths["/api/queues/{queue}/limits"];
    expect(Object.keys(path ?? {}).sort()).toEqual(["get", "put"]);
    expect(path?.put).toMatchObject({ security: [{ bearer: [] }] });
  });

  it("shows group counts and throttled starts in metrics and Prometheus", async () => {
    await host.enqueueBatch([
      { queue: "grouped", payload: 1, group: "a" },
      { queue: "grouped", payload: 2, group: "a" },
      { queue: "grouped", payload: 3, group: "b" },
    ]);
    await host.receive("grouped", { max: 10 });
    const api = createAdminApi(host);
    const q = await api.queue("grouped");
    expect(q.groups).toEqual({ ready: 0, blocked: 0, active: 2, throttled: 0 });
    expect(q.throttled).toMatchObject({ rateLimit: 0, backOff: 0 });
    const text = renderPrometheus(await api.metrics(), api.health());
    expect(text).toContain('mq_queue_groups{queue="grouped",state="active"} 2');
    expect(text).toContain('mq_starts_throttled_total{queue="grouped",limit="maxInFlight"} 0');
  });
});
