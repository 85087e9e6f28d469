import { InvalidArgumentError, type EnqueueItem, type EnqueueOptions } from "@mq/core";

/** Collects enqueues and acks that commit together, all or nothing. */
export interface Transaction {
  /** Enqueue to a queue when the transaction commits. */
  enqueue<TPayload>(queue: string, payload: TPayload, options?: EnqueueOptions): void;
  /** Publish to a topic when the transaction commits. */
  publish<TPayload>(topic: string, payload: TPayload, options?: EnqueueOptions): void;
  /** Acknowledge deliveries when the transaction commits. */
  ack(receipts: string | readonly string[]): void;
}

/** A transaction's collected work, and the object handed to the user's function. */
export function createTransaction(): { tx: Transaction; items: EnqueueItem[]; receipts: string[]; seal: () => void } {
  const items: EnqueueItem[] = [];
  const receipts: string[] = [];
  let sealed = false;
  const open = (): void => {
    if (sealed) throw new InvalidArgumentError("transaction", "tx", "is already committed; use it only inside the transaction function");
  };
  const tx: Transaction = {
    enqueue(queue, payload, options = {}) {
      open();
      items.push({ ...options, queue, payload });
    },
    publish(topic, payload, options = {}) {
      open();
      items.push({ ...options, topic, payload });
    },
    ack(r) {
      open();
      if (typeof r === "string") receipts.push(r);
      else receipts.push(...r);
    },
  };
  return { tx, items, receipts, seal: () => (sealed = true) };
}
