import { MQ_ERROR_CODES, type EnqueueItem } from "@mq/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisBackend } from "../src/index";
import { OPERATION_SCRIPTS } from "../src/operation-scripts";
import { SCRIPT } from "../src/script";
import { REDIS_SERVER, RedisServer, SKIP_REASON } from "./redis-server";

const branches = [...SCRIPT.matchAll(/^(?:if|elseif) op == '(\w+)' then$/gm)].map((m) => m[1]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const topLevel = (lua: string): string[] => [...lua.matchAll(/^local function (\w+)/gm)].map((m) => m[1]!);

describe("operation scripts", () => {
  it("cuts one script per operation branch", () => {
    expect(branches.length).toBeGreaterThan(20);
    expect([...OPERATION_SCRIPTS.keys()].sort()).toEqual([...branches].sort());
  });

  it("keeps the definitions an operation reaches and leaves the others out", () => {
    const enqueue = topLevel(OPERATION_SCRIPTS.get("enqueue")!);
    expect(enqueue).toEqual(expect.arrayContaining(["conf", "plan_enqueue", "apply_enqueue", "ready_add", "slot_set", "group_join", "notify", "wake_idle"]));
    expect(enqueue).not.toEqual(expect.arrayContaining(["dead"]));
    expect(enqueue).not.toContain("expire");
    expect(enqueue).not.toContain("bucket_tokens");
    expect(enqueue.length).toBeLessThan(topLevel(SCRIPT).length / 2);
    const one = topLevel(OPERATION_SCRIPTS.get("enqueue_one")!);
    expect(one).toEqual(expect.arrayContaining(["conf", "store_new", "ready_add", "notify"]));
    for (const batchOnly of ["plan_enqueue", "apply_enqueue", "slot_set", "slot_get"]) expect(one).not.toContain(batchOnly);
    // Reached only through another definition: lease calls expire, which calls dead, which calls remove.
    expect(topLevel(OPERATION_SCRIPTS.get("lease")!)).toEqual(expect.arrayContaining(["expire", "dead", "remove", "leave"]));
    expect(OPERATION_SCRIPTS.get("dlcount")).not.toContain("redis.call('TIME')");
    for (const lua of OPERATION_SCRIPTS.values()) expect(lua).not.toMatch(/^(?:if|elseif) op == /m);
  });
});

describe.skipIf(REDIS_SERVER === undefined)("operation scripts on Redis", () => {
  let server: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    server = await RedisServer.start({});
    client = new Redis(server.port);
  });
  afterAll(async () => {
    await client?.quit();
    await server?.destroy();
  });

  it("every script compiles (SCRIPT LOAD), and the whole source does too", async () => {
    for (const [operation, lua] of OPERATION_SCRIPTS) {
      await expect(client.script("LOAD", lua), operation).resolves.toMatch(/^[0-9a-f]{40}$/);
    }
    await expect(client.script("LOAD", SCRIPT)).resolves.toMatch(/^[0-9a-f]{40}$/);
  });

  it("a lone item without key or group takes enqueue_one, which stores and counts what the batch script does", async () => {
    const b = redisBackend({ connection: { port: server.port }, prefix: "one" });
    await b.open();
    // Load both scripts first (a first call is EVALSHA, NOSCRIPT, then EVAL), so each call shows once below.
    await b.enqueue([{ queue: "warm", payload: 1 }]);
    await b.enqueue([{ queue: "warm", payload: 1 }, { queue: "warm", payload: 2 }]);
    const watch = await watchOperations(client);
    const items: EnqueueItem[] = [
      { queue: "q", payload: "plain" },
      { queue: "q", payload: { n: 1 }, priority: 3, ttlMs: 60_000, headers: { h: "1" }, correlationId: "c" },
      { queue: "q", payload: "later", delayMs: 60_000, maxAttempts: 2 },
    ];
    try {
      const alone = [];
      for (const item of items) alone.push(...(await b.enqueue([item])));
      // More than one item goes through the batch script (enqueue), and so does a keyed item.
      const batch = await b.enqueue([...items, ...items]);
      const batched = batch.slice(0, items.length);
      const [keyed] = await b.enqueue([{ queue: "q", payload: "keyed", key: "k" }]);
      await sleep(50);
      expect(watch.seen.filter((op) => op.startsWith("enqueue"))).toEqual(["enqueue_one", "enqueue_one", "enqueue_one", "enqueue", "enqueue"]);
      const fields = async (id: string): Promise<Record<string, string>> => {
        const { eq, x, av, ...rest } = await client.hgetall(`{one:q}:m:${id}`);
        // Times differ between the two calls; their presence must not.
        return { ...rest, eq: typeof eq, x: typeof x, av: typeof av };
      };
      for (let i = 0; i < items.length; i++) {
        expect(alone[i]!.status).toBe("created");
        expect(await fields(alone[i]!.id), `item ${i}`).toEqual(await fields(batched[i]!.id));
      }
      const s = await b.stats("q");
      expect([s.ready, s.delayed]).toEqual([7, 3]);
      expect(await client.hmget("{one:q}:s", "n", "enqueued")).toEqual(["10", "10"]);
      // Ready order: priority first, then enqueue order, across both scripts.
      const ids = (i: number[]): string[] => i.map((k) => batch[k]!.id);
      expect(await client.zrange("{one:q}:r", 0, -1)).toEqual([alone[1]!.id, ...ids([1, 4]), alone[0]!.id, ...ids([0, 3]), keyed!.id]);
      await b.configureQueue("small", { maxBytes: 16 });
      await expect(b.enqueue([{ queue: "small", payload: "x".repeat(40) }])).rejects.toMatchObject({ code: MQ_ERROR_CODES.QUEUE_FULL });
      expect((await b.stats("small")).ready).toBe(0);
    } finally {
      watch.stop();
      await b.close();
    }
  });

  it("a script header in another shape is refused, not read as a channel", async () => {
    const args = ["1", "01J0000000000000000000000A", "x", "", "", "0", "", "0", "", "", "{}", ""];
    await expect(client.eval(OPERATION_SCRIPTS.get("enqueue_one")!, 1, "{mq:h}", "mq:ready|o|1", "enqueue_one", ...args)).rejects.toThrow(/script header/);
    expect(await client.exists("{mq:h}:r")).toBe(0);
  });

  it("an operation's script runs its branch: dlcount of an empty queue is 0", async () => {
    await expect(client.eval(OPERATION_SCRIPTS.get("dlcount")!, 1, "{mq:q}", "1|o|mq:ready", "dlcount", "")).resolves.toBe(0);
  });
});
if (REDIS_SERVER === undefined) console.warn(SKIP_REASON);

/** Records the operation (ARGV[2]) of every script call Redis runs while watching (EVAL the first time, when the SHA is not loaded yet). */
async function watchOperations(client: Redis): Promise<{ seen: string[]; stop: () => void }> {
  const monitor = await client.monitor();
  const seen: string[] = [];
  monitor.on("monitor", (_time: string, args: string[]) => {
    if (/^eval(sha)?$/i.test(args[0] ?? "")) seen.push(args[4 + Number(args[2])]!);
  });
  return { seen, stop: () => monitor.disconnect() };
}
