/**
 * A consumer process for the multi-process drain: started by
 * `consumer-processes.ts` as `node --import tsx consumer-process.ts <kind>
 * <port> <queue> <concurrency>`. It connects, says `ready`, registers a
 * no-op handler on `go`, reports its completions (`done <total>`) at most
 * every 20 ms, and exits on `stop` or when stdin closes (the parent died).
 */
import { createInterface } from "node:readline";
import { createQueueHost } from "@mq/host";
import { redisBackend as currentRedisBackend } from "@mq/redis";
import { Worker } from "bullmq";
import { latencySince, MQ_REDIS_QUEUE, parseConsumerArgv, type ConsumerArgs } from "./consumer-protocol";
import type { BenchPayload } from "./payload";

interface Consumer {
  go(onStart: (payload: BenchPayload) => void, onDone: () => void): void;
  stop(): Promise<void>;
}

// Diagnostics (src/redis-focus.ts): MQ_BENCH_REDIS_MODULE names another build of @mq/redis to compare with.
const redisBackend: typeof currentRedisBackend = process.env.MQ_BENCH_REDIS_MODULE === undefined ? currentRedisBackend : ((await import(process.env.MQ_BENCH_REDIS_MODULE)) as { redisBackend: typeof currentRedisBackend }).redisBackend;

async function mqRedisConsumer(args: ConsumerArgs): Promise<Consumer> {
  const host = createQueueHost({ backend: redisBackend({ connection: { host: "127.0.0.1", port: args.port }, prefix: args.queue }) });
  await host.start();
  return {
    go(onStart, onDone) {
      // `succeeded` is emitted after the ack resolved in Redis.
      host.dispatcher.events.on("succeeded", onDone);
      host.handle<BenchPayload>(
        MQ_REDIS_QUEUE,
        async (payload) => {
          onStart(payload);
          await Promise.resolve();
        },
        args.concurrency > 1 ? { maxParallelism: args.concurrency } : {},
      );
    },
    stop: () => host.stop(),
  };
}

async function bullmqConsumer(args: ConsumerArgs): Promise<Consumer> {
  let onStart: (payload: BenchPayload) => void = () => undefined;
  const worker = new Worker<BenchPayload>(args.queue, async (job) => {
    onStart(job.data);
    await Promise.resolve();
  }, {
    connection: { host: "127.0.0.1", port: args.port },
    concurrency: args.concurrency,
    autorun: false,
  });
  worker.on("error", () => undefined); // a failed command shows as a stalled count in the parent
  await worker.waitUntilReady();
  return {
    go(started, onDone) {
      onStart = started;
      // 'completed' fires after the job was moved to the completed set in Redis.
      worker.on("completed", onDone);
      void worker.run();
    },
    stop: () => worker.close(),
  };
}

const args = parseConsumerArgv(process.argv.slice(2));
const consumer = args.kind === "mq-redis" ? await mqRedisConsumer(args) : await bullmqConsumer(args);
let done = 0;
let reported = 0;
const report = (): void => {
  if (done === reported) return;
  reported = done;
  process.stdout.write(`done ${done}\n`);
};
const timer = setInterval(report, 20);
// Only the latency workload stamps `t`; the drains send 0 and report counts only.
const onStart = (payload: BenchPayload): void => {
  if (payload.t !== 0) process.stdout.write(`start ${payload.i} ${latencySince(args.origin, payload.t)}\n`);
};
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  report();
  await consumer.stop().catch(() => undefined);
  process.exit(0);
};
createInterface({ input: process.stdin })
  .on("line", (line) => {
    if (line === "go") consumer.go(onStart, () => void done++);
    else if (line === "stop") void stop();
  })
  .on("close", () => void stop());
process.stdout.write("ready\n");
