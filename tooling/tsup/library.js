// @ts-check

/**
 * Shared build options for every published @mq package: ESM and CJS with
 * declarations, for Node 20. Plain JS so Node 20 can load it from any tsup.config.ts.
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
    splitting: false,
    ...overrides,
  };
}
