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
    const adapter = new PrismaPg({ connectionString: options.url, max: options.poolSize ?? 10 });
    return wrap("postgres", adapter, async () => {});
  }
  const dataDir = options.dataDir ?? ".data/pglite";
  if (!dataDir.startsWith("memory://")) await mkdir(dataDir, { recursive: true });
  const pglite = new PGlite(dataDir);
  await pglite.waitReady;
  return wrap("pglite", new PrismaPGlite(pglite), () => pglite.close());
}

function wrap(
  kind: Database["kind"],
  adapter: SqlMigrationAwareDriverAdapterFactory,
  closeDriver: () => Promise<void>,
): Database {
  const prisma = new PrismaClient({ adapter });
  return {
    prisma,
    kind,
    adapter,
    migrate: () => applyMigrations(adapter),
    async close() {
      await prisma.$disconnect();
      await closeDriver();
    },
  };
}
