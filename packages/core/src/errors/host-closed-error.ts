import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** The host, backend or journal is not open: not started yet, stopping, or stopped. */
export class HostClosedError extends MqError {
  constructor(part: string, state: string) {
    super({ code: MQ_ERROR_CODES.HOST_CLOSED, message: `[mq:${part}] not open (${state}); call start()/open() first, and stop calling it after stop()/close()` });
  }
}
