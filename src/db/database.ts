/**
 * Opens the database: PGlite (PostgreSQL compiled to WASM, in-process, kept in a
 * folder) when no URL is given, PostgreSQL through node-postgres otherwise. Both
 * are reached through Prisma driver adapters, so the rest of the code sees one
 * PrismaClient and one SQL dialect.
 */
import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.js";
import { applyMigrations } from "./schema-engine.js";

export interface Database {
  prisma: PrismaClient;
  kind: "pglite" | "postgres";
  /** The adapter factory, for the schema engine (migrations, drift checks). */
  adapter: SqlMigrationAwareDriverAdapterFactory;
  migrate(): Promise<string[]>;
  /** Answers when the database does (health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection string; without it PGlite is used. */
  url?: string;
  /** PGlite data folder, or "memory://" for a throw-away database. */
  dataDir?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const adapter = new PrismaPg({ connectionString: options.url, max: options.poolSize ?? 10 }, { statementNameGenerator: statementNames() });
    return wrap("postgres", adapter, async () => {});
  }
  const dataDir = options.dataDir ?? ".data/pglite";
  if (!dataDir.startsWith("memory://")) await mkdir(dataDir, { recursive: true });
  const pglite = new PGlite(dataDir);
  await pglite.waitReady;
  return wrap("pglite", new PrismaPGlite(pglite), () => pglite.close());
}

/**
 * Names prepared statements by their text, so each connection parses and plans
 * a statement once and then only binds and executes it: the hot paths run the
 * same few statements over and over (on the sign-in path this halves
 * PostgreSQL's CPU). One name per distinct text, process-wide.
 *
 * A statement whose text holds `*` stays unnamed: a prepared `SELECT *` or
 * `RETURNING *` fails for good ("cached plan must not change result type") once
 * a migration from a newer release adds a column while this process runs.
 */
function statementNames(): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    if (sql.includes("*")) return ""; // pg's unnamed statement
    let name = names.get(sql);
    if (name === undefined) names.set(sql, (name = `s${names.size}`));
    return name;
  };
}

function wrap(kind: Database["kind"], adapter: SqlMigrationAwareDriverAdapterFactory, closeDriver: () => Promise<void>): Database {
  const prisma = new PrismaClient({ adapter });
  return {
    prisma,
    kind,
    adapter,
    migrate: () => applyMigrations(adapter),
    async ping() {
      await prisma.$queryRaw`SELECT 1`;
    },
    async close() {
      await prisma.$disconnect();
      await closeDriver();
    },
  };
}
