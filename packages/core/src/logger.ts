/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logger every @mq package writes to. The call shape is pino's
 * (`logger.warn(fields, message)`), so a pino logger (or a child of one) fits
 * as it is; any object with these four methods does too.
 */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

/** A logger that drops everything; the default. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

const LEVELS = ["debug", "info", "warn", "error"] as const;

/** Wraps a user logger so a throwing logger cannot break the caller's own bookkeeping. */
export function guardLogger(base: Logger): Logger {
  if (base === silentLogger) return base;
  const guarded = {} as Record<(typeof LEVELS)[number], Logger["info"]>;
  for (const level of LEVELS) {
    guarded[level] = (fields, message) => {
      try {
        base[level](fields, message);
      } catch {
        // Nowhere left to report it; losing a log line beats stalling a queue.
      }
    };
  }
  return guarded;
}

/** A logger that adds `fields` to every line written through it (like pino's `child`). */
export function withFields(base: Logger, fields: LogFields): Logger {
  if (base === silentLogger) return base;
  const child = {} as Record<(typeof LEVELS)[number], Logger["info"]>;
  for (const level of LEVELS) child[level] = (extra, message) => base[level]({ ...fields, ...extra }, message);
  return child;
}
