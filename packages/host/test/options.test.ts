import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createQueueHost, DEFAULT_QUEUE_SETTINGS, defaultDataDir, InvalidOptionsError, MQ_ERROR_CODES } from "../src/index";
import { tempDir } from "./support";

describe("createQueueHost options", () => {
  it("reports every invalid option with its path", () => {
    let error: unknown;
    try {
      createQueueHost({ durability: "sometimes" as never, queues: { orders: { capacity: -1, onExpire: "explode" as never } }, bogus: 1 } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionsError);
    const e = error as InvalidOptionsError;
    expect(e.code).toBe(MQ_ERROR_CODES.INVALID_OPTIONS);
    const paths = e.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["durability", "queues.orders.capacity", "queues.orders.onExpire", "bogus"]));
  });

  it("fills defaults and exposes the resolved options", () => {
    const host = createQueueHost({ durability: "none", queues: { orders: { maxAttempts: 2 } } });
    expect(host.options.durability).toBe("none");
    expect(host.options.dataDir).toBe(defaultDataDir());
    expect(host.options.queues.orders?.maxAttempts).toBe(2);
    expect(DEFAULT_QUEUE_SETTINGS.maxAttempts).toBe(5);
  });

  it("works with no options at all, keeping data in .mq-data under the working directory", async () => {
    const dir = defaultDataDir();
    expect(dir).toBe(path.resolve(process.cwd(), ".mq-data"));
    const existed = existsSync(dir);
    const host = createQueueHost();
    await host.start();
    await host.enqueue("q", { hello: "world" });
    await host.stop();
    const again = createQueueHost();
    await again.start();
    const [d] = await again.receive<{ hello: string }>("q");
    expect(d?.message.payload).toEqual({ hello: "world" });
    await again.ack(d!.receipt);
    await again.stop();
    if (!existed) rmSync(dir, { recursive: true, force: true });
  });

  it("applies per-queue settings from options", async () => {
    const { dir, cleanup } = tempDir();
    const host = createQueueHost({ dataDir: dir, queues: { tiny: { capacity: 1 } } });
    await host.start();
    expect(await host.queues()).toContain("tiny");
    await host.enqueue("tiny", 1);
    await expect(host.enqueue("tiny", 2)).rejects.toMatchObject({ code: MQ_ERROR_CODES.QUEUE_FULL });
    await host.stop();
    cleanup();
  });

  it("refuses calls before start and after stop with HostClosedError", async () => {
    const host = createQueueHost({ durability: "none" });
    await expect(host.enqueue("q", 1)).rejects.toMatchObject({ code: MQ_ERROR_CODES.HOST_CLOSED });
    await host.start();
    await host.stop();
    await expect(host.enqueue("q", 1)).rejects.toMatchObject({ code: MQ_ERROR_CODES.HOST_CLOSED });
    await host.stop();
  });

  it("refuses a second host on the same data folder, naming the holder", async () => {
    const { dir, cleanup } = tempDir();
    const a = createQueueHost({ dataDir: dir });
    await a.start();
    const b = createQueueHost({ dataDir: dir });
    await expect(b.start()).rejects.toMatchObject({ code: MQ_ERROR_CODES.DATA_DIR_LOCKED, pid: process.pid });
    await a.stop();
    cleanup();
  });
});
