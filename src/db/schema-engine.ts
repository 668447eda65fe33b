/**
 * Prisma's own schema engine, compiled to WASM, so migrations are authored and
 * applied offline (the CLI would download a native binary). The engine talks to
 * the database through the same driver adapters the client uses, so one code
 * path migrates both PGlite and PostgreSQL.
 */
import { readFile, readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SchemaEngine, MigrationList } from "@prisma/schema-engine-wasm";

export const PRISMA_DIR = fileURLToPath(new URL("../../prisma/", import.meta.url));
export const SCHEMA_PATH = path.join(PRISMA_DIR, "schema.prisma");
export const MIGRATIONS_DIR = path.join(PRISMA_DIR, "migrations");

const NO_FILTER = { externalTables: [], externalEnums: [] };

let engineModule: Promise<typeof import("@prisma/schema-engine-wasm")> | undefined;

/** The package's entry imports the .wasm as an ES module, which Node cannot; instantiate it by hand. */
function loadEngineModule(): Promise<typeof import("@prisma/schema-engine-wasm")> {
  engineModule ??= (async () => {
    const require = createRequire(import.meta.url);
    const bindingsPath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const dir = path.dirname(bindingsPath);
    const bindings = await import(pathToFileURL(bindingsPath).href);
    const bytes = await readFile(path.join(dir, "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": bindings });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
    return bindings;
  })();
  return engineModule;
}

export async function readSchema(): Promise<{ path: string; content: string }> {
  return { path: SCHEMA_PATH, content: await readFile(SCHEMA_PATH, "utf8") };
}

export async function openSchemaEngine(adapter: SqlMigrationAwareDriverAdapterFactory): Promise<SchemaEngine> {
  const { SchemaEngine } = await loadEngineModule();
  const schema = await readSchema();
  return SchemaEngine.new({ datamodels: [[schema.path, schema.content]] }, () => {}, bindMigrationAwareSqlAdapterFactory(adapter));
}

/** The folder names under prisma/migrations, in order. */
async function migrationNames(): Promise<string[]> {
  return (await readdir(MIGRATIONS_DIR, { withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/**
 * Whether the database already holds every migration of this release and no
 * failed one, read from the engine's own table: the usual start of a
 * replica, which then needs no engine (a WASM module of tens of megabytes).
 * Anything else (no table yet, a pending or failed migration) is left to the
 * engine, which applies or reports it.
 */
export async function migrationsUpToDate(query: (sql: string) => Promise<Array<{ migration_name: string; ok: boolean }>>): Promise<boolean> {
  const rows = await query("SELECT migration_name, finished_at IS NOT NULL AS ok FROM _prisma_migrations WHERE rolled_back_at IS NULL").catch(() => undefined);
  if (!rows || rows.some((row) => !row.ok)) return false;
  const applied = new Set(rows.map((row) => row.migration_name));
  return (await migrationNames()).every((name) => applied.has(name));
}

export async function readMigrations(): Promise<MigrationList> {
  const names = await migrationNames();
  const lockPath = path.join(MIGRATIONS_DIR, "migration_lock.toml");
  return {
    baseDir: MIGRATIONS_DIR,
    lockfile: { path: lockPath, content: await readFile(lockPath, "utf8").catch(() => null) },
    shadowDbInitScript: "",
    migrationDirectories: await Promise.all(
      names.map(async (name) => ({
        path: name,
        migrationFile: {
          path: "migration.sql",
          content: { tag: "ok" as const, value: await readFile(path.join(MIGRATIONS_DIR, name, "migration.sql"), "utf8") },
        },
      })),
    ),
  };
}

/** Applies prisma/migrations/* that the database lacks; records them in _prisma_migrations. */
export async function applyMigrations(adapter: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const engine = await openSchemaEngine(adapter);
  try {
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: await readMigrations(),
      filters: NO_FILTER,
    });
    return appliedMigrationNames;
  } finally {
    engine.free();
  }
}

/**
 * SQL that takes the connected database to what schema.prisma says; empty when
 * they agree. Applied to a database that holds exactly the migrations, an empty
 * answer proves the migrations match the schema.
 */
export async function diffDatabaseToSchema(adapter: SqlMigrationAwareDriverAdapterFactory): Promise<string> {
  const engine = await openSchemaEngine(adapter);
  try {
    const schema = await readSchema();
    let sql = "";
    const original = process.stdout.write;
    // The engine prints the script to stdout rather than returning it.
    process.stdout.write = ((chunk: string | Uint8Array) => {
      sql += chunk.toString();
      return true;
    }) as typeof process.stdout.write;
    try {
      const result = await engine.diff({
        from: { tag: "schemaDatasource", files: [schema], configDir: PRISMA_DIR },
        to: { tag: "schemaDatamodel", files: [schema] },
        script: true,
        exitCode: null,
        filters: NO_FILTER,
      });
      sql += result.stdout ?? "";
    } finally {
      process.stdout.write = original;
    }
    return sql.includes("-- This is an empty migration.") ? "" : sql.trim();
  } finally {
    engine.free();
  }
}
