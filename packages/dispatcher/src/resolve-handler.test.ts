import type { Delivery } from "@mq/core";
import { InjectionMode, asClass, asFunction, asValue, createContainer } from "awilix";
import { afterEach, describe, expect, it } from "vitest";
import { realSetup, waitFor } from "../test/support/harness";
import type { Dispatcher, HandlerContext, HandlerResolver } from "./types";

let running: Dispatcher | undefined;
afterEach(async () => {
  await running?.stop({ drainTimeoutMs: 0 });
  running = undefined;
});

interface Order {
  readonly id: string;
}

class OrderRepository {
  readonly saved: string[] = [];
  save(id: string): void {
    this.saved.push(id);
  }
}

/** A scoped handler: one instance per message, with the delivery injected. */
class OrderHandler {
  static instances = 0;
  readonly #repo: OrderRepository;
  readonly #delivery: Delivery;

  constructor({ orderRepository, delivery }: { orderRepository: OrderRepository; delivery: Delivery }) {
    OrderHandler.instances++;
    this.#repo = orderRepository;
    this.#delivery = delivery;
  }

  handle(order: Order, ctx: HandlerContext<Order>): void {
    expect(ctx.message.id).toBe(this.#delivery.message.id);
    this.#repo.save(order.id);
  }
}

describe("handler resolution through a resolver", () => {
  it("resolves { token } per message from an awilix container scope", async () => {
    const container = createContainer({ injectionMode: InjectionMode.PROXY, strict: true });
    container.register({
      orderRepository: asClass(OrderRepository).singleton(),
      orderHandler: asClass(OrderHandler).scoped(),
      failingHandler: asFunction(() => () => {
        throw new Error("from container");
      }).scoped(),
    });
    const resolver: HandlerResolver = {
      resolve(token, delivery) {
        const scope = container.createScope();
        scope.register({ delivery: asValue(delivery) });
        return scope.resolve(token);
      },
    };
    const { backend, dispatcher } = await realSetup({ resolver });
    running = dispatcher;
    dispatcher.handle("orders", { token: "orderHandler" });
    dispatcher.handle("failing", { token: "failingHandler" }, { maxRetries: 0 });
    await backend.enqueue([1, 2, 3].map((n) => ({ queue: "orders", payload: { id: `o${n}` } })));
    await backend.enqueue([{ queue: "failing", payload: null }]);
    await waitFor(() => backend.acked.length === 3, "orders acked");
    await waitFor(() => dispatcher.stats("failing")[0]!.deadLettered === 1, "failing dead-lettered");
    expect(container.resolve<OrderRepository>("orderRepository").saved).toEqual(["o1", "o2", "o3"]);
    expect(OrderHandler.instances).toBe(3);
    const [letter] = (await backend.deadLetters.list({ queue: "failing" })).items;
    expect(letter?.error?.message).toBe("from container");
  });

  it("counts a resolver failure as a failed attempt", async () => {
    const resolver: HandlerResolver = {
      resolve: async (token) => {
        throw new Error(`cannot resolve ${token}`);
      },
    };
    const { backend, dispatcher } = await realSetup({ resolver });
    running = dispatcher;
    dispatcher.handle("q", { token: "missing" }, { maxRetries: 0 });
    const [result] = await backend.enqueue([{ queue: "q", payload: null }]);
    await waitFor(() => dispatcher.stats("q")[0]!.deadLettered === 1, "dead letter");
    expect((await backend.deadLetters.get(result!.id))?.error?.message).toBe("cannot resolve missing");
  });

  it("fails the attempt when the resolver returns something that is not a handler", async () => {
    const resolver: HandlerResolver = { resolve: () => ({ nope: true }) as never };
    const { backend, dispatcher } = await realSetup({ resolver });
    running = dispatcher;
    dispatcher.handle("q", { token: "x" }, { maxRetries: 0 });
    const [result] = await backend.enqueue([{ queue: "q", payload: null }]);
    await waitFor(() => dispatcher.stats("q")[0]!.deadLettered === 1, "dead letter");
    expect((await backend.deadLetters.get(result!.id))?.error?.name).toBe("InvalidArgumentError");
  });
});
