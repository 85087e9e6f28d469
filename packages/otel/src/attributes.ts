/** OpenTelemetry messaging semantic-convention attribute names this package sets. */
export const ATTR = {
  SYSTEM: "messaging.system",
  DESTINATION: "messaging.destination.name",
  OPERATION_TYPE: "messaging.operation.type",
  OPERATION_NAME: "messaging.operation.name",
  MESSAGE_ID: "messaging.message.id",
  CONVERSATION_ID: "messaging.message.conversation_id",
  BATCH_COUNT: "messaging.batch.message_count",
  ERROR_TYPE: "error.type",
  /** Ours: the delivery attempt (1-based). */
  ATTEMPT: "mq.message.attempt",
  /** Ours: `created`, `replaced` or `duplicate`. */
  ENQUEUE_STATUS: "mq.enqueue.status",
  /** Ours: the message id this one was published from. */
  CAUSATION_ID: "mq.message.causation_id",
} as const;

/** `messaging.system` for @mq. */
export const MESSAGING_SYSTEM = "mq";
