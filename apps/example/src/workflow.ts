import type { QueueHost } from "@mq/host";

/** An order as the shop places it. */
export interface Order {
  readonly id: string;
  readonly customer: string;
  readonly items: number;
  readonly amountCents: number;
  /** Cards that always decline end in the dead-letter queue. */
  readonly card: "ok" | "flaky" | "declined";
}

export interface Payment {
  readonly orderId: string;
  readonly amountCents: number;
  readonly card: Order["card"];
}

export interface Shipment {
  readonly orderId: string;
  readonly items: number;
}

/** How the simulated services behave. */
export interface WorkflowBehaviour {
  /** Chance that a flaky card's charge fails on one attempt. */
  readonly flakyFailureRate: number;
  /** Chance that packing an order is slow and needs a lease extension. */
  readonly slowPackingRate: number;
  readonly random: () => number;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    }, { once: true });
  });

/**
 * Wires the order → payment → shipping chain, with a delayed follow-up.
 * Each step publishes the next with `ctx.publish`, which commits atomically
 * with the ack of the current message.
 */
export function registerWorkflow(host: QueueHost, behaviour: WorkflowBehaviour): void {
  host.handle<Order>(
    "orders",
    (order, ctx) => {
      if (order.items <= 0) throw new Error(`order ${order.id} has no items`);
      ctx.publish("payments", { orderId: order.id, amountCents: order.amountCents, card: order.card } satisfies Payment, { key: `PAY-${order.id}` });
      // Kept with the completion (the orders queue sets keepCompleted): `host.result(id)` reads it back.
      return { paymentKey: `PAY-${order.id}`, amountCents: order.amountCents };
    },
    { maxParallelism: 4, maxRetries: 2, backoff: 50 },
  );

  host.handle<Payment>(
    "payments",
    async (payment, ctx) => {
      await sleep(2, ctx.signal);
      if (payment.card === "declined") throw new Error(`card declined for ${payment.orderId}`);
      if (payment.card === "flaky" && behaviour.random() < behaviour.flakyFailureRate) throw new Error(`payment gateway timeout for ${payment.orderId}`);
      ctx.publish("shipping", { orderId: payment.orderId, items: Math.max(1, Math.round(payment.amountCents / 2500)) } satisfies Shipment, { key: `SHIP-${payment.orderId}` });
    },
    { maxParallelism: 8, maxRetries: 4, backoff: { type: "exponential", baseMs: 20, maxMs: 400, jitter: true } },
  );

  host.handle<Shipment>(
    "shipping",
    async (shipment, ctx) => {
      if (behaviour.random() < behaviour.slowPackingRate) {
        // Packing takes longer than the lease: extend it before it runs out.
        await sleep(250, ctx.signal);
        await ctx.extendLease(1_000);
        await sleep(250, ctx.signal);
      } else await sleep(3, ctx.signal);
      ctx.publish("follow-ups", { orderId: shipment.orderId, kind: "review-request" }, { delayMs: 1_500 });
    },
    { maxParallelism: 8, maxRetries: 3, leaseMs: 400, autoExtend: false, timeoutMs: 5_000 },
  );

  host.handle("follow-ups", () => undefined, { maxParallelism: 4 });
}
