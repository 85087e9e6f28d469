import { defineConfig } from "tsup";
import { libraryConfig } from "@mq-tooling/tsup/library";

export default defineConfig([
  // CommonJS: the library entry only.
  libraryConfig({ index: "src/index.ts" }, { format: ["cjs"] }),
  // ESM: the library and the CLI in one build, so code they share is one chunk (one copy of each
  // class, `instanceof` holds across them); esbuild keeps the CLI's shebang.
  libraryConfig({ index: "src/index.ts", cli: "src/cli.ts" }, { format: ["esm"], dts: { entry: { index: "src/index.ts" } }, clean: false }),
]);
