import type { Logger } from "@mq/core";

/** Operations that destroy or move data, or change who may do what (DS16). */
export type AuditAction = "queue.purge" | "queue.settings" | "topic.bind" | "topic.unbind" | "deadLetters.replay" | "deadLetters.purge" | "tokens.reload" | "queue.limits" | "schedule.put" | "schedule.delete" | "message.cancel";

/** One audit record: who did what to which target, and how it ended. Never holds a token or a payload. */
export interface AuditEvent {
  /** What was attempted. */
  readonly action: AuditAction;
  /** ISO time the request ended. */
  readonly at: string;
  /** The token's non-secret label (a digest prefix), `anonymous` in open mode, `operator` for reloads. */
  readonly principal: string;
  /** Client address, when the action came over the network. */
  readonly ip?: string;
  /** Queue, topic, dead-letter id or filter the action named (user text, CR/LF stripped). */
  readonly target: Readonly<Record<string, string>>;
  /** `ok` (2xx), `denied` (401/403), `refused` (other 4xx, e.g. confirm missing) or `failed` (5xx). */
  readonly outcome: "ok" | "denied" | "refused" | "failed";
  /** The HTTP status answered (200 for a successful token reload, 422 for a refused one). */
  readonly status: number;
  /** What the action changed, e.g. `{ purged: 3 }`. */
  readonly result?: Readonly<Record<string, unknown>>;
}

/** Receives audit events; must not throw (a throwing sink is caught and logged). */
export type AuditSink = (event: AuditEvent) => void;

/** The sink to use: the option, else `logger.info` under `audit`, else nothing. */
export function resolveAuditSink(sink: AuditSink | undefined, logger: Logger | undefined): AuditSink {
  const target: AuditSink = sink ?? ((event) => logger?.info({ audit: event }, `[mq:audit] ${event.action} ${event.outcome}`));
  return (event) => {
    try {
      target(event);
    } catch (error) {
      logger?.error({ err: error }, "[mq:audit] the audit sink threw; the event is lost");
    }
  };
}

/** The outcome name of an HTTP status. */
export function outcomeOf(status: number): AuditEvent["outcome"] {
  if (status < 400) return "ok";
  if (status === 401 || status === 403) return "denied";
  return status < 500 ? "refused" : "failed";
}

/** Strips CR/LF and clips, so user text cannot forge audit lines (A8). */
export function auditText(s: unknown): string {
  return String(s).replace(/[\r\n]/g, " ").slice(0, 200);
}
