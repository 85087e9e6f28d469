import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** The message is leased by a consumer right now, so it cannot be cancelled. */
export class MessageInFlightError extends MqError {
  readonly queue: string;
  readonly id: string;

  constructor(queue: string, id: string) {
    super({
      code: MQ_ERROR_CODES.IN_FLIGHT,
      message: `[mq] message "${id}" of queue "${queue}" is being handled right now and cannot be cancelled; wait for it to finish, or have its handler dead-letter it (throw UnrecoverableError or call ctx.deadLetter)`,
    });
    this.queue = queue;
    this.id = id;
  }
}
