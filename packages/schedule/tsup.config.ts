import { defineConfig } from "tsup";
import { libraryConfig } from "@mq-tooling/tsup/library";

export default defineConfig(libraryConfig({ index: "src/index.ts" }));
