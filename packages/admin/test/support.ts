import { createQueueHost, type QueueHost } from "@mq/host";

/** A started in-memory host with an `orders` handler (optionally failing) and a `pull` queue without one. */
export async function startHost(options: { failOrders?: (n: number) => boolean } = {}): Promise<QueueHost> {
  const host = createQueueHost({ durability: "none" });
  host.handle<number>(
    "orders",
    async (n) => {
      await new Promise((r) => setTimeout(r, 1));
      if (options.failOrders?.(n) === true) throw new Error(`order ${n} declined`);
    },
    { maxParallelism: 2, maxRetries: 0 },
  );
  await host.start();
  await host.enqueue("pull", { hello: "world" });
  return host;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds, failing after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
