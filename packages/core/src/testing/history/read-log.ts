import { readFileSync } from "node:fs";
import { EV_KINDS, type Ev, type EvKind } from "./events";

const KINDS: ReadonlySet<string> = new Set<string>(EV_KINDS);

/**
 * Reads event logs written by {@link createEventLog} and merges them into one
 * history ordered by `t` (ties keep file order, then line order). An incomplete
 * last line of a file (its writer was killed mid-write) is ignored; any other
 * line that does not parse throws, naming the file and line.
 */
export function readEventLogs(files: readonly string[]): Ev[] {
  const tagged: { ev: Ev; file: number; line: number }[] = [];
  files.forEach((file, fileIndex) => {
    parseEventLog(readFileSync(file, "utf8"), file).forEach((ev, line) => tagged.push({ ev, file: fileIndex, line }));
  });
  tagged.sort((a, b) => (a.ev.t < b.ev.t ? -1 : a.ev.t > b.ev.t ? 1 : a.file - b.file || a.line - b.line));
  return tagged.map((x) => x.ev);
}

/** Parses the text of one event log (see {@link readEventLogs}); `name` only appears in error messages. */
export function parseEventLog(text: string, name = "event log"): Ev[] {
  // The last element after the split is "" for a complete file, or the fragment a
  // writer killed mid-write left behind: either way it is not an event.
  const complete = text.split("\n").slice(0, -1);
  const out: Ev[] = [];
  complete.forEach((line, i) => {
    if (line.trim() === "") return;
    out.push(parseLine(line, `${name}:${String(i + 1)}`));
  });
  return out;
}

// ---------------------------------------------------------------------------

function parseLine(line: string, where: string): Ev {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    throw new Error(`[mq:history] ${where}: not JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof raw !== "object" || raw === null) throw new Error(`[mq:history] ${where}: not an object`);
  const obj = raw as { t?: unknown; k?: unknown };
  if (typeof obj.k !== "string" || !KINDS.has(obj.k)) throw new Error(`[mq:history] ${where}: unknown kind ${String(obj.k)}`);
  if (typeof obj.t !== "string" && typeof obj.t !== "number") throw new Error(`[mq:history] ${where}: missing t`);
  let t: bigint;
  try {
    t = BigInt(obj.t);
  } catch (error) {
    throw new Error(`[mq:history] ${where}: bad t ${String(obj.t)}`, { cause: error });
  }
  return { ...(obj as object), k: obj.k as EvKind, t } as Ev;
}
