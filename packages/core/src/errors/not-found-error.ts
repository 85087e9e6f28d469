import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** A named thing (dead letter, queue, handler) does not exist. */
export class NotFoundError extends MqError {
  readonly what: string;
  readonly id: string;

  constructor(what: string, id: string, hint = "") {
    super({ code: MQ_ERROR_CODES.NOT_FOUND, message: `[mq] ${what} "${id}" not found${hint ? `; ${hint}` : ""}` });
    this.what = what;
    this.id = id;
  }
}
