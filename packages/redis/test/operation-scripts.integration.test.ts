import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATION_SCRIPTS } from "../src/operation-scripts";
import { SCRIPT } from "../src/script";
import { REDIS_SERVER, RedisServer, SKIP_REASON } from "./redis-server";

const branches = [...SCRIPT.matchAll(/^(?:if|elseif) op == '(\w+)' then$/gm)].map((m) => m[1]);
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

  it("an operation's script runs its branch: dlcount of an empty queue is 0", async () => {
    await expect(client.eval(OPERATION_SCRIPTS.get("dlcount")!, 1, "{mq:q}", "mq:ready|o|1", "dlcount", "")).resolves.toBe(0);
  });
});
if (REDIS_SERVER === undefined) console.warn(SKIP_REASON);
