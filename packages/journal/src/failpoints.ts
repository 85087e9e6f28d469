/** Failpoints the file journal passes, before and after every durability step. */
export const FAILPOINT_NAMES = [
  "append.beforeWrite",
  "append.afterWrite",
  "append.afterSync",
  "append.afterResolve",
  "segment.roll.beforeCreate",
  "segment.roll.afterCreate",
  "segment.roll.afterDirSync",
  "snapshot.beforeTmpWrite",
  "snapshot.midTmpWrite",
  "snapshot.afterTmpSync",
  "snapshot.afterRename",
  "snapshot.afterDirSync",
  "compaction.beforeUnlink",
  "compaction.afterFirstUnlink",
  "compaction.afterAllUnlinks",
  "recovery.afterTruncate",
  "recovery.afterReplay",
  "lock.afterCreate",
  "lock.takeover.midway",
  "close.beforeFinalSnapshot",
] as const;

/** One of {@link FAILPOINT_NAMES}. */
export type FailpointName = (typeof FAILPOINT_NAMES)[number];

/** A failpoint hook: called with a name each time execution passes that point. It may throw. */
export type FailpointHook = (name: string) => void;

/** Environment variable a child process reads: `NAME:K` kills the process with SIGKILL at the K-th hit of NAME. */
export const FAILPOINT_ENV = "MQ_FAILPOINT";

/** Parses `"name:k"` (k defaults to 1) into its parts; throws on a malformed spec. */
export function parseFailpointSpec(spec: string): { name: string; hit: number } {
  const m = /^([A-Za-z.]+)(?::(\d+))?$/.exec(spec.trim());
  if (!m?.[1]) throw new Error(`[mq:journal] bad failpoint spec ${JSON.stringify(spec)}; expected NAME or NAME:K, e.g. append.afterWrite:3`);
  return { name: m[1], hit: m[2] === undefined ? 1 : Number(m[2]) };
}

/**
 * Creates a hook that runs `action` at the `hit`-th time `name` is passed
 * (default action: SIGKILL this process, a real crash). `spec` is `"name:k"`.
 */
export function createFailpoints(spec: string, action: (name: string) => void = killSelf): FailpointHook & { readonly hits: Readonly<Record<string, number>> } {
  const { name, hit } = parseFailpointSpec(spec);
  const hits: Record<string, number> = {};
  const hook = (passed: string): void => {
    const n = (hits[passed] = (hits[passed] ?? 0) + 1);
    if (passed === name && n === hit) action(passed);
  };
  return Object.assign(hook, { hits });
}

/** The hook `MQ_FAILPOINT` asks for (SIGKILL at the k-th hit), or undefined when it is unset. */
export function failpointsFromEnv(env: NodeJS.ProcessEnv = process.env): FailpointHook | undefined {
  const spec = env[FAILPOINT_ENV];
  return spec ? createFailpoints(spec) : undefined;
}

function killSelf(): void {
  process.kill(process.pid, "SIGKILL");
  // SIGKILL is delivered asynchronously; never run past the failpoint in the meantime.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
}
