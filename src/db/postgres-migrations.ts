/**
 * Applies the migrations to PostgreSQL through the schema engine, on a pool
 * made for the purpose and closed at the end, which releases the engine's own
 * advisory lock. Run by `openDatabase().migrate()` under a lock of ours, in a
 * worker thread when the server runs compiled, so the engine's WASM goes with
 * the thread.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { applyMigrations } from "./schema-engine.js";

export async function applyPostgresMigrations(url: string): Promise<string[]> {
  // The adapter runs a migration script statement by statement, split at every `;`,
  // which breaks a function body; PostgreSQL runs a whole script in one simple query.
  const scripts = new pg.Client({ connectionString: url });
  await scripts.connect();
  const connections: SqlDriverAdapter[] = [];
  const factory = new PrismaPg({ connectionString: url, max: 2 });
  const remember = (connection: SqlDriverAdapter): SqlDriverAdapter => {
    connections.push(connection);
    return Object.assign(Object.create(connection) as SqlDriverAdapter, {
      executeScript: async (script: string) => {
        await scripts.query(script);
      },
    });
  };
  const disposable: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => remember(await factory.connect()),
    connectToShadowDb: async () => remember(await factory.connectToShadowDb()),
  };
  try {
    return await applyMigrations(disposable);
  } finally {
    await Promise.all(connections.map((connection) => connection.dispose()));
    await scripts.end();
  }
}
