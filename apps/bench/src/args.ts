import { parseArgs as parseNodeArgs } from "node:util";
import path from "node:path";
import { PRODUCTS, type Product } from "./peer";
import type { WorkloadSizes } from "./workloads";

/** A command-line mistake: the CLI prints it with the help text and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Everything a run needs, resolved from the command line. */
export interface BenchOptions {
  readonly sizes: WorkloadSizes;
  /** Sizes for the peers on Redis (BullMQ and @mq/redis): smaller, so the whole run fits its budget. */
  readonly redisSizes: WorkloadSizes;
  /** fdatasync probe rounds. */
  readonly fdatasyncSamples: number;
  /** The products to run (`--only`); all three by default. */
  readonly only: readonly Product[];
  /** Folder for latest.json and latest.html. */
  readonly outDir: string;
  readonly quick: boolean;
  /** Also write the figures into the app's README (between its figures markers). */
  readonly readme: boolean;
}

export type ParsedArgs = { readonly help: true } | { readonly help: false; readonly options: BenchOptions };

/** Defaults: the whole run (6 peers) stays within about 12 minutes on a 2-core machine. */
export const DEFAULT_MESSAGES = 100_000;
/** The Redis peers' bulk and drain workloads use messages ÷ this by default (Redis rows run at a few thousand msg/s). */
export const REDIS_DIVISOR = 5;
const QUICK_MESSAGES = 5_000;
/** Longest a throughput workload runs before it stops and reports a partial rate. */
export const CAP_SECONDS = 40;

export const HELP = `Usage: pnpm bench:peers [options]

Runs the same workloads on @mq embedded (durability batch and interval), on
@mq/redis and on BullMQ (both on the same redis-server started here, AOF
everysec and always), prints a table with ratios and the issue-12 targets,
and writes latest.json and latest.html.

  --messages N     messages per bulk-enqueue and drain workload (default ${DEFAULT_MESSAGES.toLocaleString("en-US")});
                   single awaited enqueue uses N / 20, at least 100
  --redis-messages N  the same for the Redis peers (BullMQ, @mq/redis; default N / ${REDIS_DIVISOR})
  --quick          a fast smoke run (${QUICK_MESSAGES.toLocaleString("en-US")} messages, 500 latency samples)
  --cap S          a throughput workload still running after S seconds stops and
                   reports its rate over the messages it finished, marked * (default ${CAP_SECONDS})
  --only P[,P]     run only these products: mq (embedded), mq-redis, bullmq,
                   or redis (= mq-redis,bullmq); default all
  --out DIR        where to write latest.json and latest.html (default apps/bench/results)
  --readme         also put the table into apps/bench/README.md ("Latest figures")
  -h, --help       this text

Environment: REDIS_SERVER=path overrides the redis-server binary on PATH.`;

/** Parse argv (without node and the script). */
export function parseArgs(argv: readonly string[], defaultOutDir: string): ParsedArgs {
  let values;
  try {
    ({ values } = parseNodeArgs({
      args: argv.filter((arg) => arg !== "--"),
      options: {
        help: { type: "boolean", short: "h" },
        messages: { type: "string" },
        "redis-messages": { type: "string" },
        cap: { type: "string" },
        quick: { type: "boolean" },
        readme: { type: "boolean" },
        only: { type: "string" },
        out: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return { help: true };
  const quick = values.quick === true;
  const messages = values.messages === undefined ? (quick ? QUICK_MESSAGES : DEFAULT_MESSAGES) : positiveInt("--messages", values.messages);
  if (messages < 100) throw new UsageError("--messages must be at least 100 (one batch)");
  const redisMessages = values["redis-messages"] === undefined ? Math.max(100, Math.round(messages / REDIS_DIVISOR / 100) * 100) : positiveInt("--redis-messages", values["redis-messages"]);
  if (redisMessages < 100) throw new UsageError("--redis-messages must be at least 100 (one batch)");
  const capSeconds = values.cap === undefined ? CAP_SECONDS : positiveInt("--cap", values.cap);
  const latency = quick ? 500 : 3_000;
  return {
    help: false,
    options: {
      quick,
      readme: values.readme === true,
      only: parseOnly(values.only),
      outDir: path.resolve(values.out ?? defaultOutDir),
      fdatasyncSamples: quick ? 300 : 2_000,
      sizes: sizesFor(messages, latency, capSeconds),
      redisSizes: sizesFor(redisMessages, latency, capSeconds),
    },
  };
}

/** `--only` value to the products it names: comma-separated, `redis` meaning both Redis products. */
export function parseOnly(text: string | undefined): readonly Product[] {
  if (text === undefined || text === "all") return PRODUCTS;
  const chosen = new Set<Product>();
  for (const word of text.split(",").map((w) => w.trim())) {
    if (word === "redis") {
      chosen.add("mq-redis");
      chosen.add("bullmq");
    } else if ((PRODUCTS as readonly string[]).includes(word)) chosen.add(word as Product);
    else throw new UsageError(`--only takes mq, mq-redis, bullmq or redis (comma-separated), not "${word}"`);
  }
  return PRODUCTS.filter((p) => chosen.has(p));
}

// ---------------------------------------------------------------------------

function sizesFor(messages: number, latency: number, capSeconds: number): WorkloadSizes {
  return { single: Math.max(100, Math.round(messages / 20)), bulk: messages, drain: messages, latency, latencyRate: 1_000, capSeconds };
}

function positiveInt(flag: string, text: string): number {
  const cleaned = text.replaceAll("_", "").replaceAll(",", "");
  const n = /^\d+$/.test(cleaned) ? Number(cleaned) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag} takes a positive whole number, not "${text}"`);
  return n;
}
