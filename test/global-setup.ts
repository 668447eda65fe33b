/**
 * Migrates one database per migration set, once for the whole run, so that each
 * test's database starts as a copy instead of being created and migrated anew:
 * a PGlite data folder dumped to a file (loaded with `loadDataDir`), and on
 * PostgreSQL a template database (`CREATE DATABASE ... TEMPLATE`). Both are
 * named by a hash of the migrations, and kept between runs until they change.
 * It also compiles dist/, which the tests of whole processes run.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, readdir, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { openDatabase } from "../src/db/database.js";
import { MIGRATIONS_DIR, applyMigrations } from "../src/db/schema-engine.js";

async function migrationsHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const name of (await readdir(MIGRATIONS_DIR)).sort()) {
    const file = path.join(MIGRATIONS_DIR, name, "migration.sql");
    if (existsSync(file)) hash.update(name).update(await readFile(file));
  }
  return hash.digest("hex").slice(0, 16);
}

async function pgliteTemplate(hash: string): Promise<string> {
  const file = path.join(tmpdir(), `graphql-auth-pglite-${hash}.tar`);
  if (existsSync(file)) return file;
  const pglite = new PGlite("memory://");
  await pglite.waitReady;
  await applyMigrations(new PrismaPGlite(pglite));
  const dump = await pglite.dumpDataDir("none");
  await pglite.close();
  const partial = `${file}.${process.pid}`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, file);
  return file;
}

async function postgresTemplate(url: string, hash: string): Promise<string> {
  const name = `auth_template_${hash}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'auth_template_%'`);
    for (const { datname } of rows) if (datname !== name) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    if (rows.some((row) => row.datname === name)) return name;
    await admin.query(`CREATE DATABASE ${name}`);
    const target = new URL(url);
    target.pathname = `/${name}`;
    const db = await openDatabase({ url: target.toString() });
    try {
      await db.migrate();
    } catch (error) {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      throw error;
    }
    await db.close();
    return name;
  } finally {
    await admin.end();
  }
}

/** The compiled server in dist/ (incremental: quick when nothing changed), which the process tests run as operators do. */
function buildDist(): void {
  const root = path.resolve(import.meta.dirname, "..");
  const built = spawnSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")], {
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
}

export default async function setup(): Promise<() => Promise<void>> {
  buildDist();
  // The run's PostgreSQL databases are named for it, and dropped at its end (test/helpers.ts keeps them between tests).
  process.env.TEST_RUN_ID = randomBytes(4).toString("hex");
  const hash = await migrationsHash();
  // Read by test/helpers.ts in each worker (forked after this runs).
  process.env.TEST_PGLITE_TEMPLATE = await pgliteTemplate(hash);
  if (process.env.TEST_DATABASE_URL) process.env.TEST_POSTGRES_TEMPLATE = await postgresTemplate(process.env.TEST_DATABASE_URL, hash);
  return async () => {
    if (!process.env.TEST_DATABASE_URL) return;
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
        `auth_test_${process.env.TEST_RUN_ID}_%`,
      ]);
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  };
}
