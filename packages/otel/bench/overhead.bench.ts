/**
 * End-to-end msg/s with and without instrumentation: enqueue in batches of
 * 100, a no-op handler (parallelism 8), counted when the last ack lands.
 * Durability "none" so the journal's fsync does not hide the cost.
 * Run: pnpm --filter @mq/otel bench  (figures from a loaded machine vary a lot)
 */
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { createQueueHost } from "@mq/host";
import { instrumentHost } from "../src/index";

const MESSAGES = Number(process.env.MESSAGES ?? 50_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

class DropExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: (r: { code: 0 }) => void): void {
    this.exported += spans.length;
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

type Setup = "baseline" | "host.observe()" | "otel, no SDK (API no-op)" | "otel + SDK, metrics only" | "otel + SDK, traces only" | "otel + SDK (traces and metrics)";

async function run(setup: Setup): Promise<number> {
  const host = createQueueHost({ durability: "none" });
  let acked = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  host.handle("bench", () => {
    if (++acked === MESSAGES) done();
  }, { maxParallelism: 8 });
  let shutdown = async (): Promise<void> => {};
  if (setup === "host.observe()") host.observe();
  if (setup === "otel, no SDK (API no-op)") instrumentHost(host);
  if (setup.startsWith("otel + SDK")) {
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new DropExporter(), { maxQueueSize: 100_000, maxExportBatchSize: 2_048 })] });
    const meterProvider = new MeterProvider({ readers: [new PullReader()] });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    instrumentHost(host, { tracerProvider, meterProvider, traces: !setup.includes("metrics only"), metrics: !setup.includes("traces only") });
    shutdown = async () => {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      context.disable();
    };
  }
  await host.start();
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i += 100) {
    await host.enqueueBatch(Array.from({ length: Math.min(100, MESSAGES - i) }, (_, j) => ({ queue: "bench", payload: i + j })));
  }
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await host.stop();
  await shutdown();
  return MESSAGES / seconds;
}

const setups: Setup[] = ["baseline", "host.observe()", "otel, no SDK (API no-op)", "otel + SDK, metrics only", "otel + SDK, traces only", "otel + SDK (traces and metrics)"];
const best = new Map<Setup, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const setup of setups) best.set(setup, Math.max(best.get(setup) ?? 0, await run(setup)));
}
const base = best.get("baseline")!;
console.log(`end to end, ${MESSAGES} messages, batches of 100, no-op handler x8, durability none, best of ${ROUNDS}; node ${process.version}`);
for (const setup of setups) {
  const rate = best.get(setup)!;
  console.log(`${setup.padEnd(34)} ${Math.round(rate).toLocaleString("en-US").padStart(10)} msg/s  ${setup === "baseline" ? "" : `${(((rate - base) / base) * 100).toFixed(1)}%`}`);
}
