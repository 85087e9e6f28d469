import { InvalidArgumentError } from "@mq/core";
import type { FailpointHook } from "./failpoints";

/** Environment variable {@link failpointsFromEnv} reads: `NAME:K` kills the process with SIGKILL at the K-th hit of NAME. */
export const FAILPOINT_ENV = "MQ_FAILPOINT";

/** Parses `"name:k"` (k defaults to 1) into its parts; a malformed spec is an `InvalidArgumentError`. */
export function parseFailpointSpec(spec: string): { name: string; hit: number } {
  const m = /^([A-Za-z.]+)(?::(\d+))?$/.exec(String(spec).trim());
  const hit = m?.[2] === undefined ? 1 : Number(m[2]);
  if (!m?.[1] || !Number.isSafeInteger(hit) || hit < 1) {
    throw new InvalidArgumentError("journal", "failpoint spec", `${JSON.stringify(spec)} is malformed; expected NAME or NAME:K with K >= 1, e.g. append.afterWrite:3`);
  }
  return { name: m[1], hit };
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

/**
 * The hook `MQ_FAILPOINT` asks for (SIGKILL at the k-th hit), or undefined when
 * it is unset. The journal never reads the variable itself: a test child passes
 * `createFilePersistence({ failpoints: failpointsFromEnv() })`.
 */
export function failpointsFromEnv(env: NodeJS.ProcessEnv = process.env): FailpointHook | undefined {
  const spec = env[FAILPOINT_ENV];
  return spec ? createFailpoints(spec) : undefined;
}

function killSelf(): void {
  process.kill(process.pid, "SIGKILL");
  // SIGKILL is delivered asynchronously; never run past the failpoint in the meantime.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
}
