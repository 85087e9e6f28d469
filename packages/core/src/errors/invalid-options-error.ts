import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** One problem found while validating options: where it is, and what is wrong. */
export interface OptionIssue {
  readonly path: string;
  readonly message: string;
}

/** Options failed validation. `issues` lists every problem with its path. */
export class InvalidOptionsError extends MqError {
  readonly issues: readonly OptionIssue[];

  constructor(part: string, issues: readonly OptionIssue[], options?: { cause?: unknown }) {
    const list = issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ");
    super({ code: MQ_ERROR_CODES.INVALID_OPTIONS, message: `[mq:${part}] invalid options: ${list}`, cause: options?.cause });
    this.issues = issues;
  }
}
