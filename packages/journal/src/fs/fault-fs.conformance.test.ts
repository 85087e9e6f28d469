import { runPersistenceConformance } from "@mq/core/testing";
import { createFilePersistence } from "../file-persistence";
import { createFaultFs } from "./fault-fs";

const fs = createFaultFs();
runPersistenceConformance("file journal on FaultFs", (ctx) => createFilePersistence({ dataDir: `/data/${ctx.storeId}`, fs, snapshotOnClose: ctx.snapshotOnClose }));
