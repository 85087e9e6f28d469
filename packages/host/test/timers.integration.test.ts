import { describe, expect, it } from "vitest";
import { createQueueHost } from "../src/index";
import { hostInternals } from "../src/testing";

describe("M3: one armed timer", () => {
  it("holds 1,000,000 live leases with a single armed timer, and releases them all", async () => {
    const host = createQueueHost({ durability: "none" });
    await host.start();
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const batch = Array.from({ length: 1000 }, (_, i) => ({ queue: "q", payload: i }));
    const total = 1_000_000;
    for (let i = 0; i < total / 1000; i++) await host.enqueueBatch(batch);
    const receipts: string[] = [];
    for (;;) {
      const got = await host.receive("q", { max: 10_000, leaseMs: 600_000 });
      if (got.length === 0) break;
      for (const d of got) receipts.push(d.receipt);
    }
    expect(receipts).toHaveLength(total);
    expect(hostInternals(host)!.leases).toBe(total);
    const timersWithLeases = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    expect(timersWithLeases - timersBefore).toBeLessThanOrEqual(1);
    for (let i = 0; i < total; i += 10_000) await host.ack(receipts.slice(i, i + 10_000));
    expect(hostInternals(host)!).toMatchObject({ entries: 0, leases: 0, scheduled: 0 });
    await host.stop();
  }, 600_000);
});
