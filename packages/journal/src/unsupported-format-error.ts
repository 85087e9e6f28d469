import { JournalCorruptError } from "@mq/core";

/**
 * A file in the data folder was written in a format newer than this code
 * understands (by a newer `@mq/journal`). Recovery stops rather than guess:
 * run the newer version, or restore a backup made by this one. It is a
 * `JournalCorruptError` (code `MQ_JOURNAL_CORRUPT`) so existing handlers still
 * catch it; `formatVersion` says which version wrote the file.
 */
export class UnsupportedFormatError extends JournalCorruptError {
  /** The format version recorded in the file. */
  readonly formatVersion: number;
  /** The newest format version this code reads. */
  readonly supportedVersion: number;

  constructor(file: string, what: string, formatVersion: number, supportedVersion: number) {
    super(file, 0, `${what} format version ${formatVersion}`);
    this.name = "UnsupportedFormatError";
    this.formatVersion = formatVersion;
    this.supportedVersion = supportedVersion;
    this.message =
      `[mq:journal] ${file} was written in ${what} format version ${formatVersion} by a newer @mq/journal; ` +
      `this version reads up to format version ${supportedVersion}. Recovery stopped without changing anything: ` +
      `run the newer @mq/journal on this data folder, or restore a backup written by this version`;
  }
}
