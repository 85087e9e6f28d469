import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** A call argument is malformed: an empty queue name, a negative delay, a priority out of range. */
export class InvalidArgumentError extends MqError {
  /** Name of the argument or field at fault, e.g. `priority`. */
  readonly argument: string;

  constructor(part: string, argument: string, problem: string, options?: { cause?: unknown }) {
    super({ code: MQ_ERROR_CODES.INVALID_ARGUMENT, message: `[mq:${part}] ${argument}: ${problem}`, cause: options?.cause });
    this.argument = argument;
  }
}
