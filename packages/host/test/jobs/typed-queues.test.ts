import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { defineQueues, type Delivery, type HandlerContext, type Message } from "../../src/index";
import type { QueueHost } from "../../src/queue-host";
import { memoryHost, until } from "../support";

interface Order {
  readonly orderId: number;
  readonly total: number;
}
interface Payment {
  readonly paymentId: string;
}
interface Audit {
  readonly action: string;
}

const hosts: QueueHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop().catch(() => undefined);
});

describe("defineQueues", () => {
  it("checks payloads per queue and topic name at compile time, and calls through to the host", async () => {
    const { host } = memoryHost();
    hosts.push(host);
    await host.start();
    const queues = defineQueues<{ orders: Order; payments: Payment }, { audit: Audit }>()(host);

    const seen: Order[] = [];
    queues.handle("orders", (order, ctx) => {
      expectTypeOf(order).toEqualTypeOf<Order>();
      expectTypeOf(ctx).toEqualTypeOf<HandlerContext<Order>>();
      seen.push(order);
    });
    // Compile-time only: never called, so no stray handler or message is registered.
    const typeErrors = (): void => {
      // @ts-expect-error a payments handler does not receive orders
      queues.handle("payments", (p: Order) => p);
      // @ts-expect-error unknown queue
      queues.handle("refunds", () => undefined);
      // @ts-expect-error wrong payload for the queue
      void queues.enqueue("orders", { paymentId: "p" });
      // @ts-expect-error unknown queue
      void queues.enqueue("refunds", { orderId: 1, total: 1 });
      // @ts-expect-error the payload of each item follows its own queue
      void queues.enqueueBatch([{ queue: "payments", payload: { orderId: 2, total: 1 } }]);
      // @ts-expect-error wrong payload for the topic
      void queues.publish("audit", { paymentId: "x" });
      // @ts-expect-error unknown topic
      void queues.publish("news", { action: "x" });
      // @ts-expect-error a schedule's payload follows its queue
      void queues.schedule("bad", { everyMs: 1_000, queue: "orders", payload: { paymentId: "x" } });
    };
    void typeErrors;

    const { id } = await queues.enqueue("orders", { orderId: 1, total: 9.5 });

    await queues.enqueueBatch([
      { queue: "payments", payload: { paymentId: "p-1" } },
      { queue: "payments", payload: { paymentId: "p-2" }, priority: 3 },
    ]);

    await host.bind("audit", "payments");
    await queues.publish("audit", { action: "refund" });

    const info = await queues.getMessage("payments", "nope");
    expectTypeOf(info.message).toEqualTypeOf<Message<Payment> | undefined>();
    const got = await queues.receive("payments", { max: 10 });
    expectTypeOf(got).toEqualTypeOf<Delivery<Payment>[]>();
    expect(got).toHaveLength(3);

    await queues.schedule("nightly", { cron: "0 3 * * *", queue: "orders", payload: { orderId: 0, total: 0 } });

    await until(() => seen.length >= 1);
    expect(seen[0]).toEqual({ orderId: 1, total: 9.5 });
    expect((await host.getMessage("orders", id)).state).toBe("unknown");
  });
});
