import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { applyMigrations } from "./src/db/schema-engine.ts";
let t = performance.now();
const template = new PGlite("memory://"); await template.waitReady;
await applyMigrations(new PrismaPGlite(template));
console.log("template", Math.round(performance.now() - t)); t = performance.now();
const dump = await template.dumpDataDir("none");
console.log("dump", Math.round(performance.now() - t), dump.size); t = performance.now();
for (let i = 0; i < 3; i++) {
  const copy = new PGlite("memory://", { loadDataDir: dump }); await copy.waitReady;
  const r = await copy.query(`SELECT count(*) FROM "_prisma_migrations"`);
  console.log("from dump", Math.round(performance.now() - t), r.rows[0]); t = performance.now();
}
const c = await template.clone();
console.log("clone", Math.round(performance.now() - t)); t = performance.now();
