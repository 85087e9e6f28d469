import type { Delivery, QueueBackend } from "@mq/core";
import { EventEmitter } from "eventemitter3";

/**
 * A backend that does no work: `receive` hands out `total` prebuilt
 * deliveries, ack/nack/extend resolve at once. It measures the dispatcher's
 * own cost per message, which bounds what any real backend can reach through it.
 */
export function createStubBackend(total: number): QueueBackend {
  let next = 0;
  const resolved = Promise.resolve();
  const backend = {
    contractVersion: 1,
    events: new EventEmitter(),
    configureQueue: () => resolved,
    receive: (queue: string, options: { max: number }) => {
      const out: Delivery[] = [];
      for (; out.length < options.max && next < total; next++) {
        out.push({
          message: { id: String(next), queue, payload: next, version: 1, priority: 0, enqueuedAt: 0, attempts: 1 },
          receipt: String(next),
          attempt: 1,
          leaseExpiresAt: 0,
        });
      }
      return Promise.resolve(out);
    },
    ack: () => resolved,
    extend: () => resolved,
    nack: () => Promise.resolve({ action: "retried", attempts: 1 }),
  };
  return backend as unknown as QueueBackend;
}
