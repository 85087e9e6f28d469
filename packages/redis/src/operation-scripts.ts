import { SCRIPT } from "./script";

const BRANCH = /^(?:if|elseif) op == '(\w+)' then$/;

/**
 * One Lua script per operation, cut from the script source (script.ts).
 *
 * Why: Redis runs a script's top level on every call, so a script that serves
 * every operation first defines every function on each call (about 7 µs of a
 * 33 µs enqueue). An operation's script holds its branch and only the top-level
 * definitions that branch reaches, directly or through other definitions.
 *
 * The source keeps its shape: top-level `local` definitions (with the comments
 * above them), then `if op == '…' then … elseif op == '…' then … end` chains
 * whose branches end in a `return`. A definition is kept when a word of the
 * kept code names it; a word in a string or trailing comment only keeps more.
 */
export const OPERATION_SCRIPTS: ReadonlyMap<string, string> = cutScripts(SCRIPT);

/** The `defineCommand` name of an operation's script. */
export function commandOf(operation: string): string {
  return `mqOp_${operation}`;
}

interface Definition {
  readonly names: readonly string[];
  readonly text: string;
  readonly words: ReadonlySet<string>;
}

function cutScripts(source: string): Map<string, string> {
  const lines = source.split("\n");
  const firstBranch = lines.findIndex((line) => BRANCH.test(line));
  if (firstBranch < 0) throw new Error("mq script: no operation branch found");
  const definitions = splitDefinitions(lines.slice(0, firstBranch));
  const scripts = new Map<string, string>();
  for (const [operation, body] of splitBranches(lines.slice(firstBranch))) {
    const needed = wordsOf(body);
    const kept: string[] = [];
    // A definition only reaches definitions above it, so one pass upwards finds them all.
    for (let i = definitions.length - 1; i >= 0; i--) {
      const d = definitions[i]!;
      if (!d.names.some((name) => needed.has(name))) continue;
      kept.push(d.text);
      for (const word of d.words) needed.add(word);
    }
    scripts.set(operation, `${kept.reverse().join("\n")}\n${body}\n`);
  }
  return scripts;
}

/** Top-level definitions: each `local` line at column 0 with the indented lines and `end` after it, and the comments before it. */
function splitDefinitions(lines: readonly string[]): Definition[] {
  const definitions: Definition[] = [];
  let lead: string[] = [];
  let current: string[] | undefined;
  const finish = (): void => {
    if (current === undefined) return;
    const head = current.find((line) => line.startsWith("local "))!;
    const text = current.join("\n");
    definitions.push({ names: namesOf(head), text, words: wordsOf(text) });
    current = undefined;
  };
  for (const line of lines) {
    if (line.startsWith("local ")) {
      finish();
      current = [...lead, line];
      lead = [];
    } else if (line === "" || line.startsWith("--")) lead.push(line);
    else if (current !== undefined && (/^\s/.test(line) || line === "end")) {
      current.push(...lead, line);
      lead = [];
    } else throw new Error(`mq script: unexpected top-level line ${JSON.stringify(line)}`);
  }
  finish();
  return definitions;
}

function namesOf(head: string): string[] {
  const fn = /^local function (\w+)/.exec(head);
  if (fn !== null) return [fn[1]!];
  const vars = /^local ([\w, ]+?)\s*(?:=|$)/.exec(head);
  if (vars === null) throw new Error(`mq script: cannot read the names of ${JSON.stringify(head)}`);
  return vars[1]!.split(",").map((name) => name.trim());
}

/** Each operation's branch body; a chain ends at a column-0 `end`. */
function splitBranches(lines: readonly string[]): Map<string, string> {
  const branches = new Map<string, string>();
  let operation: string | undefined;
  let body: string[] = [];
  const finish = (): void => {
    if (operation === undefined) return;
    // Its last statement at the branch's own indent (a return may run over more lines).
    const last = body.filter((line) => /^ {2}\S/.test(line)).at(-1)?.trim() ?? "";
    if (!last.startsWith("return")) throw new Error(`mq script: operation ${operation} must end with a return`);
    branches.set(operation, body.join("\n"));
    operation = undefined;
    body = [];
  };
  for (const line of lines) {
    const branch = BRANCH.exec(line);
    if (branch !== null) {
      finish();
      operation = branch[1]!;
    } else if (line === "end") finish();
    else if (operation !== undefined) body.push(line);
  }
  finish();
  return branches;
}

/** The identifiers of Lua code, full-line comments left out. */
function wordsOf(code: string): Set<string> {
  const words = new Set<string>();
  for (const line of code.split("\n")) {
    if (line.trimStart().startsWith("--")) continue;
    for (const word of line.match(/[A-Za-z_]\w*/g) ?? []) words.add(word);
  }
  return words;
}
