// @ts-check

/**
 * Shared build options for every published @mq package: ESM and CJS with
 * declarations, for Node 20. Plain JS so Node 20 can load it from any tsup.config.ts.
 *
 * `splitting` is on for both formats: code shared by two entries of one
 * package (`@mq/core` and `@mq/core/testing`, `@mq/journal` and
 * `@mq/journal/memory`) goes into one chunk instead of being copied into each,
 * so a class such as `MqError` exists once and `instanceof` works across
 * entries (tooling/pack-test checks this on the built dist).
 * @param {Record<string, string>} entry
 * @param {import("tsup").Options} [overrides]
 * @returns {import("tsup").Options}
 */
export function libraryConfig(entry, overrides = {}) {
  return {
    entry,
    format: ["esm", "cjs"],
    target: "node20",
    platform: "node",
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    ...overrides,
  };
}
