import { closeSync, constants, openSync, writeSync } from "node:fs";
import type { Ev, EvInput } from "./events";

/** Appends history events to one JSON-lines file. */
export interface EventLog {
  /** The file being written. */
  readonly file: string;
  /** Stamps `t` (monotonic ns) and `wall`, appends one line synchronously, and returns the stamped event. */
  write(event: EvInput): Ev;
  /** Close the file; later writes throw. */
  close(): void;
}

/**
 * Opens (creating or appending to) a JSON-lines event log. Each event is one
 * `writeSync` on an `O_APPEND` descriptor, so a SIGKILL of the writer loses
 * nothing already written (it is in the page cache), and concurrent async code
 * in one process never interleaves lines. `t` is `process.hrtime.bigint()`
 * (CLOCK_MONOTONIC, comparable across processes on one boot), stored as a string.
 */
export function createEventLog(file: string): EventLog {
  let fd: number | undefined = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o644);
  return {
    file,
    write(event: EvInput): Ev {
      if (fd === undefined) throw new Error(`[mq:history] event log ${file} is closed`);
      const stamped = { ...event, t: process.hrtime.bigint(), wall: Date.now() } as Ev;
      const line = `${serializeEvent(stamped)}\n`;
      // One syscall per line: a partial line can only be the last one, and the reader skips it.
      const buf = Buffer.from(line, "utf8");
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      return stamped;
    },
    close(): void {
      if (fd === undefined) return;
      closeSync(fd);
      fd = undefined;
    },
  };
}

/** One event as a JSON line (without the newline); `t` becomes a decimal string. */
export function serializeEvent(event: Ev): string {
  return JSON.stringify(event, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
}
