import { MQ_ERROR_CODES, MqError } from "@mq/core";

/** The dedup index is at its `maxEntries` bound and no drop-mode entry is past its window. */
export class DedupIndexFullError extends MqError {
  /** The bound that was hit. */
  readonly maxEntries: number;

  constructor(maxEntries: number) {
    super({
      code: MQ_ERROR_CODES.DEDUP_FULL,
      message: `[mq:dedup] index holds its bound of ${maxEntries} keys and none has aged out; consume or release messages, shorten the dedup window, or raise maxEntries`,
    });
    this.maxEntries = maxEntries;
  }
}
