import { MQ_ERROR_CODES } from "./error-codes";
import { MqError } from "./mq-error";

/** Another live process (or another journal in this process) holds the data folder's LOCK. */
export class DataDirLockedError extends MqError {
  readonly dataDir: string;
  /** The pid recorded in LOCK by the holder. */
  readonly pid: number;

  constructor(dataDir: string, pid: number) {
    super({
      code: MQ_ERROR_CODES.DATA_DIR_LOCKED,
      message: `[mq:journal] data folder ${dataDir} is locked by pid ${pid}; stop that process or pass another dataDir`,
    });
    this.dataDir = dataDir;
    this.pid = pid;
  }
}
