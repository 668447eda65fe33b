/** The thread `migratePostgres` starts: applies the migrations, answers their names, and ends, taking the schema engine with it. */
import { parentPort, workerData } from "node:worker_threads";
import { applyPostgresMigrations } from "./postgres-migrations.js";

parentPort?.postMessage(await applyPostgresMigrations((workerData as { url: string }).url));
