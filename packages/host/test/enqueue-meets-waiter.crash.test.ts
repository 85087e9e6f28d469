import type { QueueHost } from "../src/index";
import { createFilePersistence } from "@mq/journal";
import { createFaultFs, type FaultFs } from "@mq/journal/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createQueueHost } from "../src/index";

// Issue 12: the create of an enqueue that meets a waiting receive and that receive's lease are one
// journal record. A crash while it is on its way to the disk leaves either nothing of it (the
// enqueue was never acknowledged) or both: never a message whose delivery went uncounted.

const hosts: QueueHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop().catch(() => undefined);
});

/** A host whose journal runs `cut` once, right after the next group write, when armed. */
function open(fs: FaultFs, cut?: { armed: boolean; run: () => void }): QueueHost {
  const failpoints = (name: string): void => {
    if (cut?.armed === true && name === "append.afterWrite") {
      cut.armed = false;
      cut.run();
    }
  };
  const host = createQueueHost({ persistence: createFilePersistence({ dataDir: "/data", fs, durability: "batch", snapshotEveryMs: 0, snapshotEveryOps: 0, failpoints }) });
  hosts.push(host);
  return host;
}

const segment = (fs: FaultFs): string => `/data/journal/${fs.listSync("/data/journal").filter((f) => f.endsWith(".seg")).sort().at(-1)!}`;

/** Enqueues "kept" (acknowledged), then "b" into a waiting receive with `cut` armed; returns what a restarted host holds. */
async function crashWhileCombined(run: (fs: FaultFs, sizeBefore: number) => void): Promise<{ payload: unknown; attempts: number }[]> {
  const fs = createFaultFs();
  const cut = { armed: false, run: () => run(fs, sizeBefore) };
  let sizeBefore = 0;
  const first = open(fs, cut);
  await first.start();
  await first.enqueue("q", "kept");
  const [kept] = await first.backend.receive("q", { max: 1, leaseMs: 60_000 });
  await first.backend.release([kept!.receipt]);
  const waiting = first.backend.receive("other", { max: 1, leaseMs: 60_000, waitMs: 10_000 });
  await new Promise((r) => setTimeout(r, 5));
  sizeBefore = fs.readFileSync(segment(fs))!.length;
  cut.armed = true;
  const outcomes = await Promise.allSettled([first.enqueue("other", "b"), waiting]);
  // Neither the enqueue nor the delivery was acknowledged: the record never became durable.
  expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
  fs.restart();
  const second = open(fs);
  await second.start();
  const peek = (queue: string) => second.backend.peek!(queue, 10);
  const rows = [...(await peek("q")), ...(await peek("other"))];
  return rows.map((m) => ({ payload: m.payload, attempts: m.attempts }));
}

describe("a crash while an enqueue's create and its waiter's lease are on the way to the disk", () => {
  it("power loss before the fdatasync: neither survives, the acknowledged message does", async () => {
    const rows = await crashWhileCombined((fs) => fs.powerLoss({ trash: "drop" }));
    expect(rows).toEqual([{ payload: "kept", attempts: 0 }]);
  });

  it("a record cut in half by a crash mid-write: neither survives", async () => {
    const rows = await crashWhileCombined((fs, sizeBefore) => {
      const file = segment(fs);
      const bytes = fs.readFileSync(file)!;
      expect(bytes.length).toBeGreaterThan(sizeBefore);
      fs.writeFileSync(file, bytes.subarray(0, sizeBefore + Math.floor((bytes.length - sizeBefore) / 2)));
      fs.kill();
    });
    expect(rows).toEqual([{ payload: "kept", attempts: 0 }]);
  });

  it("a crash after the write reached the file: both survive, the delivery counted (Decision 3)", async () => {
    const rows = await crashWhileCombined((fs) => fs.kill());
    expect(rows).toEqual([
      { payload: "kept", attempts: 0 },
      { payload: "b", attempts: 1 },
    ]);
  });
});
