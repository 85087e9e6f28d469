/**
 * `pnpm soak -- [options]`: load, chaos, drain, check; writes
 * soak-results/<timestamp>/result.json and report.html.
 */
import { cpus } from "node:os";
import { HELP, parseArgs, UsageError } from "./args";
import { runCommand } from "./run-command";

let parsed;
try {
  parsed = parseArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`soak: ${error.message}\n\n${HELP}`);
  process.exit(2);
}
if (parsed.help) {
  console.log(HELP);
  process.exit(0);
}
process.exitCode = await runCommand(parsed.options, { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length });
