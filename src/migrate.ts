/** `npm run migrate`: applies pending migrations to DATABASE_DIRECT_URL or DATABASE_URL, or to the PGlite folder in DATA_DIR. */
import path from "node:path";
import { openDatabase } from "./db/database.js";

const db = await openDatabase({
  url: process.env.DATABASE_URL || undefined,
  directUrl: process.env.DATABASE_DIRECT_URL || undefined,
  dataDir: path.join(process.env.DATA_DIR || ".data", "pglite"),
});
try {
  const applied = await db.migrate();
  console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
} finally {
  await db.close();
}
