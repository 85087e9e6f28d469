import type { QueueHostOptions } from "./options";
import { QueueHost } from "./queue-host";

/**
 * Creates an embedded queue host: the same as `new QueueHost(options)`. With
 * no options it keeps its data in `.mq-data` under the current directory,
 * with `batch` durability.
 *
 * @example
 * const host = createQueueHost({ dataDir: "./queue-data" });
 * await host.start();
 * await host.enqueue("orders", { id: "ORD-1" }, { key: "ORD-1" });
 */
export function createQueueHost(options: QueueHostOptions = {}): QueueHost {
  return new QueueHost(options);
}
