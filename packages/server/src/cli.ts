#!/usr/bin/env node
import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { parseArgs } from "node:util";
import { createQueueHost, type DurabilityMode } from "@mq/host";
import { MqError } from "@mq/core";
import { createServer } from "./create-server";
import { operatorCommand, OPERATOR_HELP } from "./cli-operator";
import type { TokenPermissions } from "./auth";

const HELP = `mq — the @mq queue server and its operator commands

Usage:
  mq serve [--data DIR] [--port N] [--host ADDR] [--tokens FILE] [--durability MODE]
${OPERATOR_HELP}
Server flags (environment in brackets):
  --data DIR          data folder [MQ_DATA_DIR]                    default ./queue-data
  --port N            TCP port, 0 for any free one [MQ_PORT]       default 7070
  --host ADDR         interface; non-loopback needs tokens [MQ_HOST] default 127.0.0.1
  --tokens FILE       JSON { "<token>": { "produce": [..], "consume": [..], "admin": bool } }
                      [MQ_TOKENS_FILE, or the JSON itself in MQ_TOKENS]
  --durability MODE   always | batch | interval | none [MQ_DURABILITY] default batch

SIGHUP (or a change to the --tokens file) reloads the tokens without a restart.
SIGTERM or SIGINT stops accepting connections, drains in-flight requests,
writes a final snapshot and exits 0; a second signal exits at once.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP);
    return command === undefined ? 1 : 0;
  }
  if (command === "serve") return serve(rest);
  return operatorCommand(command, rest, process.env);
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      tokens: { type: "string" },
      durability: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const env = process.env;
  const dataDir = values.data ?? env.MQ_DATA_DIR ?? "./queue-data";
  const port = Number(values.port ?? env.MQ_PORT ?? 7070);
  const host = values.host ?? env.MQ_HOST ?? "127.0.0.1";
  const tokensFile = values.tokens ?? (env.MQ_TOKENS_FILE || undefined);
  const tokens = tokensFile !== undefined ? parseTokens(readFileSync(tokensFile, "utf8"), tokensFile) : env.MQ_TOKENS ? parseTokens(env.MQ_TOKENS, "MQ_TOKENS") : undefined;
  const durability = (values.durability ?? env.MQ_DURABILITY) as DurabilityMode | undefined;

  const queueHost = createQueueHost({ dataDir, ...(durability === undefined ? {} : { durability }) });
  // Validate the server options before touching the data folder.
  const server = createServer(queueHost, { host, port, ...(tokens === undefined ? {} : { tokens }) });
  await queueHost.start();
  const { url } = await server.listen();
  // A4: the tokens file is re-read on SIGHUP and when it changes, so revoking a token needs no restart.
  // A bad file keeps the current table and says why on stderr.
  const reloadTokens = (why: string): void => {
    if (tokensFile === undefined) return;
    try {
      const next = parseTokens(readFileSync(tokensFile, "utf8"), tokensFile);
      server.setTokens(next);
      process.stdout.write(`mq: ${why}: reloaded ${Object.keys(next).length} tokens from ${tokensFile}\n`);
    } catch (error) {
      process.stderr.write(`mq: ${why}: kept the current tokens: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  };
  process.on("SIGHUP", () => reloadTokens("SIGHUP"));
  if (tokensFile !== undefined) watchFile(tokensFile, { interval: 250 }, (now, before) => now.mtimeMs !== before.mtimeMs && reloadTokens("tokens file changed"));
  process.stdout.write(`mq: listening on ${url} (data ${dataDir}${tokens === undefined ? ", no tokens: loopback only" : `, ${Object.keys(tokens).length} tokens`})\n`);

  let stopping = false;
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) process.exit(1);
      stopping = true;
      process.stdout.write(`mq: ${signal}: draining and writing a final snapshot\n`);
      resolve();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  if (tokensFile !== undefined) unwatchFile(tokensFile);
  await server.close();
  await queueHost.stop();
  process.stdout.write("mq: stopped\n");
  return 0;
}

function parseTokens(text: string, where: string): Record<string, TokenPermissions> {
  try {
    return JSON.parse(text) as Record<string, TokenPermissions>;
  } catch {
    throw new Error(`${where} is not valid JSON; expected { "<token>": { "produce": [...], "consume": [...], "admin": false } }`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mq: ${MqError.isInstance(error) || error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
