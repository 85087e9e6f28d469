import { RING_ERROR_CODES } from "./error-codes";
import { RingError } from "./ring-error";

/** An argument was out of range or of the wrong kind; `argument` names it. */
export class InvalidArgumentError extends RingError {
  readonly argument: string;

  constructor(argument: string, message: string) {
    super(RING_ERROR_CODES.INVALID_ARGUMENT, `[mq:ring] ${message}`);
    this.argument = argument;
  }
}
