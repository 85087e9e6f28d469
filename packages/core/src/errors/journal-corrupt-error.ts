import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/**
 * The journal holds a frame that is neither valid nor a torn tail. Recovery
 * stops rather than guess; restore from a backup, or reopen with
 * `onCorruption: 'skip'` to drop the bad frame (reported as an LSN gap).
 */
export class JournalCorruptError extends MqError {
  readonly file: string;
  readonly offset: number;

  constructor(file: string, offset: number, problem: string) {
    super({
      code: MQ_ERROR_CODES.JOURNAL_CORRUPT,
      message: `[mq:journal] corrupt data in ${file} at byte ${offset}: ${problem}; restore a backup or open with onCorruption: 'skip' to drop it`,
    });
    this.file = file;
    this.offset = offset;
  }
}
