// The public API is a decision: what @mq/host exports, what a QueueHost shows, and where its options go.
import { readdirSync, statSync, truncateSync } from "node:fs";
import path from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as hostEntry from "../src/index";
import { createQueueHost, QueueHost, type QueueHostOptions } from "../src/index";
import { hostInternals } from "../src/testing";
import { tempDir } from "./support";

describe("the public surface of @mq/host", () => {
  it("does not export the internal Engine class", () => {
    expect(Object.keys(hostEntry)).not.toContain("Engine");
    expect(Object.values(hostEntry).some((value) => typeof value === "function" && value.name === "Engine")).toBe(false);
  });

  it("keeps internals() off the QueueHost type and its instances; @mq/host/testing reads them", async () => {
    const host = createQueueHost({ durability: "none" });
    expect("internals" in host).toBe(false);
    expect(Object.keys(host)).not.toContain("internals");
    expectTypeOf<QueueHost>().not.toHaveProperty("internals");
    await host.start();
    await host.enqueue("q", 1);
    expect(hostInternals(host)).toMatchObject({ entries: 1 });
    await host.stop();
  });

  it("createQueueHost and new QueueHost take the same options", () => {
    expectTypeOf(createQueueHost).parameter(0).toEqualTypeOf<QueueHostOptions | undefined>();
    expectTypeOf<ConstructorParameters<typeof QueueHost>[0]>().toEqualTypeOf<QueueHostOptions | undefined>();
    const resolver = { resolve: () => () => undefined };
    const options: QueueHostOptions = { durability: "none", drainTimeoutMs: 1_000, resolver, queues: { q: { maxAttempts: 3 } } };
    expect(createQueueHost(options).options).toEqual(new QueueHost(options).options);
    expect(() => createQueueHost({ nope: 1 } as never)).toThrow("[mq:host] invalid options: nope");
    expect(() => new QueueHost({ nope: 1 } as never)).toThrow("[mq:host] invalid options: nope");
  });
});

describe("the logger option reaches the file journal the host creates", () => {
  it("a torn tail found at start is logged through the host's logger", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const first = createQueueHost({ dataDir: dir, snapshot: { everyMs: 0, everyOps: 0, onClose: false } });
      await first.start();
      await first.enqueue("q", "a");
      await first.enqueue("q", "b");
      await first.stop();
      // A write cut short by a crash: the last frame loses its final bytes.
      const segments = readdirSync(path.join(dir, "journal")).filter((f) => f.endsWith(".seg")).sort();
      const last = path.join(dir, "journal", segments[segments.length - 1]!);
      truncateSync(last, statSync(last).size - 2);
      const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
      const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
      const second = createQueueHost({ dataDir: dir, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } });
      await second.start();
      expect((await second.stats("q")).ready).toBe(1);
      await second.stop();
      expect(lines).toContainEqual({ level: "warn", fields: expect.objectContaining({ component: "journal" }) as Record<string, unknown>, message: expect.stringContaining("torn tail") as string });
    } finally {
      cleanup();
    }
  });
});
