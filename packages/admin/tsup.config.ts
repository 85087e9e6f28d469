import { cpSync } from "node:fs";
import { defineConfig } from "tsup";
import { libraryConfig } from "@mq-tooling/tsup/library";

export default defineConfig(
  libraryConfig(
    { index: "src/index.ts" },
    {
      // import.meta.url locates the dashboard files in the CJS build too.
      shims: true,
      // The dashboard's page, script and styles are served as files from dist/dashboard.
      onSuccess: () => Promise.resolve(cpSync("src/dashboard", "dist/dashboard", { recursive: true })),
    },
  ),
);
