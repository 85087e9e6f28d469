// @ts-check
import { defineConfig } from "vitest/config";

/**
 * One vitest setup for every package: a `unit` project (parallel) and an
 * `integration` project for `*.integration.test.ts` (real processes, files,
 * servers: sequential, no retries, long timeouts). Every run writes a JSON
 * report to `.cache/vitest-report.json`, which `.ci/run` sums.
 * @param {{ unitTimeoutMs?: number, integrationTimeoutMs?: number }} [options]
 */
export function defineMqProject(options = {}) {
  const reportToFile = process.env.MQ_VITEST_REPORT !== "0";
  return defineConfig({
    test: {
      reporters: reportToFile ? ["default", "json"] : ["default"],
      outputFile: { json: ".cache/vitest-report.json" },
      passWithNoTests: false,
      projects: [
        {
          extends: true,
          test: {
            name: "unit",
            include: ["src/**/*.test.ts", "test/**/*.test.ts"],
            exclude: ["**/*.integration.test.ts", "**/node_modules/**", "**/dist/**"],
            testTimeout: options.unitTimeoutMs ?? 30_000,
          },
        },
        {
          extends: true,
          test: {
            name: "integration",
            include: ["src/**/*.integration.test.ts", "test/**/*.integration.test.ts"],
            fileParallelism: false,
            retry: 0,
            testTimeout: options.integrationTimeoutMs ?? 300_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  });
}
