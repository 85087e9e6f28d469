import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/**
 * Stored data was written by a newer version of @mq (a snapshot or journal
 * format, or an operation type) than this code understands. Nothing was
 * skipped: upgrade the package that reads it, or restore from a backup
 * written by this version.
 */
export class UnsupportedVersionError extends MqError {
  /** What was being read, e.g. `snapshot`, `segment`, `operation`. */
  readonly what: string;
  /** The version (or operation type) found in the data. */
  readonly found: string | number;

  constructor(what: string, found: string | number, detail: string) {
    super({
      code: MQ_ERROR_CODES.UNSUPPORTED_VERSION,
      message: `[mq:recovery] ${what} ${JSON.stringify(found)} is not understood by this version of @mq (${detail}); upgrade @mq to the version that wrote this data folder, or restore a backup it can read`,
    });
    this.what = what;
    this.found = found;
  }
}
