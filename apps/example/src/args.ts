/** Command-line options of the example. */
export interface ExampleArgs {
  readonly dataDir: string;
  readonly reset: boolean;
  readonly orders: number;
  readonly quiet: boolean;
  /** Orders placed per second. */
  readonly rate: number;
  /** Serve the admin dashboard while the job runs. */
  readonly dashboard: boolean;
  /** Seconds to keep serving the dashboard after the job ends. */
  readonly linger: number;
}

const USAGE = `usage: pnpm --filter @mq-app/example start [-- options]
  --data-dir DIR   where the queue keeps its data (default: ./example-data)
  --reset          delete the data folder first and start from nothing
  --orders N       orders to place this run (default: 3000)
  --rate N         orders placed per second (default: 200)
  --quiet          no live view, only the summary
  --no-dashboard   do not serve the admin dashboard (default: served on 127.0.0.1 while the job runs)
  --linger N       keep the dashboard up N seconds after the job ends (default: 0)
  --help           this text`;

/** Parses argv; prints usage and exits on --help or a bad flag. */
export function parseArgs(argv: readonly string[]): ExampleArgs {
  let dataDir = "example-data";
  let reset = false;
  let orders = 3000;
  let rate = 200;
  let quiet = false;
  let dashboard = true;
  let linger = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") continue;
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === "--reset") reset = true;
    else if (arg === "--quiet") quiet = true;
    else if (arg === "--no-dashboard") dashboard = false;
    else if (arg === "--dashboard") dashboard = true;
    else if (arg === "--linger" && /^\d+$/.test(argv[i + 1] ?? "")) linger = Number(argv[++i]);
    else if (arg === "--data-dir" && argv[i + 1] !== undefined) dataDir = argv[++i]!;
    else if (arg === "--orders" && /^\d+$/.test(argv[i + 1] ?? "")) orders = Number(argv[++i]);
    else if (arg === "--rate" && /^[1-9]\d*$/.test(argv[i + 1] ?? "")) rate = Number(argv[++i]);
    else {
      console.error(`unknown or incomplete option: ${arg}\n${USAGE}`);
      process.exit(2);
    }
  }
  return { dataDir, reset, orders, quiet, rate, dashboard, linger };
}
