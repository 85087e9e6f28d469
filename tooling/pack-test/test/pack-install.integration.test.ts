import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installPacked, packedManifest, type ScratchProject } from "./scratch-install";

// What a user gets from `npm install @mq/host @mq/ring`: the tarballs pnpm
// publishes, installed by npm in a project outside the workspace, loaded from
// ESM and from CommonJS by the Node running this test.
describe("packed @mq/host and @mq/ring install and run outside the workspace", () => {
  let scratch: ScratchProject;

  beforeAll(() => {
    scratch = installPacked(["@mq/host", "@mq/ring"]);
  }, 240_000);

  afterAll(() => {
    if (scratch !== undefined) rmSync(path.dirname(scratch.dir), { recursive: true, force: true });
  });

  it("rewrites workspace: ranges to real versions in every packed package.json", () => {
    for (const [name, tarball] of Object.entries(scratch.tarballs)) {
      const manifest = packedManifest(tarball);
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
        expect(range, `${name} depends on ${dep}@${range}`).not.toMatch(/^workspace:/);
      }
    }
    expect(Object.keys(scratch.tarballs)).toEqual(expect.arrayContaining(["@mq/core", "@mq/host", "@mq/journal", "@mq/ring"]));
  });

  it("installs every @mq package from its tarball, none from the registry", () => {
    const lock = JSON.parse(readFileSync(path.join(scratch.dir, "package-lock.json"), "utf8")) as { packages: Record<string, { resolved?: string }> };
    const mq = Object.entries(lock.packages).filter(([where]) => /(^|\/)node_modules\/@mq\//.test(where));
    expect(mq.length).toBeGreaterThanOrEqual(Object.keys(scratch.tarballs).length);
    for (const [where, entry] of mq) expect(entry.resolved ?? "", where).toMatch(/^file:/);
  });

  const ringCode = (load: string): string => `${load}
const ring = new RingBuffer(2);
ring.push("a");
ring.push("b");
const full = ring.tryPush("c");
console.log(JSON.stringify({ first: ring.shift(), second: ring.shift(), full, empty: ring.size }));
`;

  it("@mq/ring: push and shift from ESM", () => {
    const out = JSON.parse(scratch.run("ring.mjs", ringCode(`import { RingBuffer } from "@mq/ring";`)));
    expect(out).toEqual({ first: "a", second: "b", full: false, empty: 0 });
  });

  it("@mq/ring: push and shift from CommonJS", () => {
    const out = JSON.parse(scratch.run("ring.cjs", ringCode(`const { RingBuffer } = require("@mq/ring");`)));
    expect(out).toEqual({ first: "a", second: "b", full: false, empty: 0 });
  });

  const hostCode = (load: string): string => `${load}
const { mkdtempSync, rmSync } = require_("node:fs");
const { tmpdir } = require_("node:os");
const { join } = require_("node:path");
async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "mq-pack-host-"));
  try {
    const host = createQueueHost({ dataDir, durability: "always" });
    await host.start();
    const queued = await host.enqueue("orders", { id: "ORD-1" }, { key: "ORD-1" });
    const [d] = await host.receive("orders", { max: 1, leaseMs: 10_000 });
    await host.ack(d.receipt);
    const stats = await host.stats("orders");
    let lostLease = "none";
    try { await host.ack(d.receipt); } catch (e) { lostLease = e.code + ":" + String(MqError.isInstance(e)) + ":" + String(e instanceof MqError); }
    await host.stop();
    console.log(JSON.stringify({ status: queued.status, payload: d.message.payload, stats: { ready: stats.ready, inFlight: stats.inFlight, acked: stats.totals.acked }, lostLease }));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
`;

  const expected = { status: "created", payload: { id: "ORD-1" }, stats: { ready: 0, inFlight: 0, acked: 1 }, lostLease: "MQ_LEASE_LOST:true:true" };

  it("@mq/host: enqueue, receive, ack on a file journal from ESM", () => {
    const load = `import { createQueueHost, MqError } from "@mq/host";\nimport { createRequire } from "node:module";\nconst require_ = createRequire(import.meta.url);`;
    expect(JSON.parse(scratch.run("host.mjs", hostCode(load)))).toEqual(expected);
  });

  it("@mq/host: enqueue, receive, ack on a file journal from CommonJS", () => {
    const load = `const { createQueueHost, MqError } = require("@mq/host");\nconst require_ = require;`;
    expect(JSON.parse(scratch.run("host.cjs", hostCode(load)))).toEqual(expected);
  });
});
