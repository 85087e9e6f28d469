import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/**
 * Storage failed (EIO, ENOSPC, EROFS, a short write, a failed fsync). The
 * outcome of the operation is UNKNOWN: it may or may not be on disk and may
 * reappear after recovery. Retry with the same dedup key to be safe. After one
 * of these the journal is fail-stopped: restart the process to recover.
 */
export class PersistenceError extends MqError {
  /** The errno code (`EIO`, `ENOSPC`, …) or `FAIL_STOPPED` for calls after the first failure. */
  readonly errno: string;

  constructor(message: string, errno: string, options?: { cause?: unknown }) {
    super({ code: MQ_ERROR_CODES.PERSISTENCE, message: `[mq:journal] ${message}`, cause: options?.cause });
    this.errno = errno;
  }
}
