// The public API is a decision: what @mq/host exports, and what a QueueHost shows.
import { describe, expect, expectTypeOf, it } from "vitest";
import * as hostEntry from "../src/index";
import { createQueueHost, QueueHost, type QueueHostOptions } from "../src/index";
import { hostInternals } from "../src/testing";

describe("the public surface of @mq/host", () => {
  it("does not export the internal Engine class", () => {
    expect(Object.keys(hostEntry)).not.toContain("Engine");
    expect(Object.values(hostEntry).some((value) => typeof value === "function" && value.name === "Engine")).toBe(false);
  });

  it("keeps internals() off the QueueHost type and its instances; @mq/host/testing reads them", async () => {
    const host = createQueueHost({ durability: "none" });
    expect("internals" in host).toBe(false);
    expect(Object.keys(host)).not.toContain("internals");
    expectTypeOf<QueueHost>().not.toHaveProperty("internals");
    await host.start();
    await host.enqueue("q", 1);
    expect(hostInternals(host)).toMatchObject({ entries: 1 });
    await host.stop();
  });

  it("createQueueHost and new QueueHost take the same options", () => {
    expectTypeOf(createQueueHost).parameter(0).toEqualTypeOf<QueueHostOptions | undefined>();
    expectTypeOf<ConstructorParameters<typeof QueueHost>[0]>().toEqualTypeOf<QueueHostOptions | undefined>();
    const resolver = { resolve: () => () => undefined };
    const options: QueueHostOptions = { durability: "none", drainTimeoutMs: 1_000, resolver, queues: { q: { maxAttempts: 3 } } };
    expect(createQueueHost(options).options).toEqual(new QueueHost(options).options);
    expect(() => createQueueHost({ nope: 1 } as never)).toThrow("[mq:host] invalid options: nope");
    expect(() => new QueueHost({ nope: 1 } as never)).toThrow("[mq:host] invalid options: nope");
  });
});
