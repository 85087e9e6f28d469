import { defineConfig } from "tsup";
import { libraryConfig } from "@mq-tooling/tsup/library";

export default defineConfig([
  libraryConfig({ index: "src/index.ts" }),
  // The CLI is ESM only; esbuild keeps its shebang.
  libraryConfig({ cli: "src/cli.ts" }, { format: ["esm"], dts: false, clean: false }),
]);
