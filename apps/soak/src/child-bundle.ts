import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const SOURCE = fileURLToPath(new URL("./queue-process.ts", import.meta.url));
// Inside the app folder, next to its node_modules, for anything the bundle leaves out.
const OUT_DIR = fileURLToPath(new URL("../.cache/", import.meta.url));

/**
 * Bundles the queue-process script with everything it imports into one ESM
 * file, once per soak run. A restart then costs a plain `node` start instead
 * of a TypeScript loader's (which matters at a kill every two seconds), and a
 * rebuild of the workspace packages during a long run cannot break a restart.
 */
export async function bundleQueueProcess(): Promise<string> {
  mkdirSync(OUT_DIR, { recursive: true });
  const outfile = `${OUT_DIR}queue-process-${process.pid}.mjs`;
  await build({
    entryPoints: [SOURCE],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent",
    // CommonJS dependencies inside an ESM bundle still call require().
    banner: { js: 'import { createRequire as __mqCreateRequire } from "node:module"; const require = __mqCreateRequire(import.meta.url);' },
  });
  return outfile;
}
