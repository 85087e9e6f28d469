import { join } from "node:path";
import { runPersistenceConformance } from "@mq/core/testing";
import { tempRoot } from "../test/tmp-dir";
import { createFilePersistence } from "./file-persistence";

const root = tempRoot("conformance");
runPersistenceConformance("file journal", (ctx) => createFilePersistence({ dataDir: join(root, ctx.storeId), snapshotOnClose: ctx.snapshotOnClose }));
