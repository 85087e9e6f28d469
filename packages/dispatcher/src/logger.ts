/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logger the dispatcher writes to. Any logger with these four methods
 * fits (a small adapter covers pino's `(fields, message)` order).
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A logger that drops everything; the default. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A logger that adds `fields` to every line written through it. */
export function withFields(base: Logger, fields: LogFields): Logger {
  if (base === silentLogger) return base;
  return {
    debug: (message, extra) => base.debug(message, extra === undefined ? fields : { ...fields, ...extra }),
    info: (message, extra) => base.info(message, extra === undefined ? fields : { ...fields, ...extra }),
    warn: (message, extra) => base.warn(message, extra === undefined ? fields : { ...fields, ...extra }),
    error: (message, extra) => base.error(message, extra === undefined ? fields : { ...fields, ...extra }),
  };
}

/** Wraps a user logger so a throwing logger cannot break the dispatcher's own bookkeeping. */
export function guardLogger(base: Logger): Logger {
  if (base === silentLogger) return base;
  const guard =
    (level: keyof Logger) =>
    (message: string, fields?: LogFields): void => {
      try {
        base[level](message, fields);
      } catch {
        // Nowhere left to report it; losing a log line beats stalling a queue.
      }
    };
  return { debug: guard("debug"), info: guard("info"), warn: guard("warn"), error: guard("error") };
}
