/**
 * Opens the database: PGlite (PostgreSQL compiled to WASM, in-process, kept in a
 * folder) when no URL is given, PostgreSQL through node-postgres otherwise. Both
 * are reached through Prisma driver adapters, so the rest of the code sees one
 * PrismaClient and one SQL dialect.
 */
import { mkdir } from "node:fs/promises";
import type { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { Worker } from "node:worker_threads";
import pg from "pg";
import { type Prisma, PrismaClient } from "../generated/prisma/client.js";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.js";
import { applyPostgresMigrations } from "./postgres-migrations.js";
import { applyMigrations, migrationsUpToDate } from "./schema-engine.js";

/**
 * Statements of the hot paths (sign-in, refresh, the signed-in user), written
 * with `Prisma.sql` and run on the driver itself, on the same connections:
 * Prisma's raw queries cost several times the driver's own CPU per statement
 * (measured here: 315 µs against 65 µs). Dates go in as UTC and timestamp
 * columns (stored without a zone, in UTC, as Prisma writes them) come out as
 * UTC, whatever the process's time zone. Never from inside an interactive
 * `prisma.$transaction(async (tx) => ...)`: the statement runs outside it, and on
 * PGlite (one session) it would wait for that transaction to end.
 */
export interface SqlRunner {
  query<T>(statement: Prisma.Sql): Promise<T[]>;
  execute(statement: Prisma.Sql): Promise<number>;
}

export interface Database {
  prisma: PrismaClient;
  sql: SqlRunner;
  kind: "pglite" | "postgres";
  /** The adapter factory, for the schema engine (migrations, drift checks). */
  adapter: SqlMigrationAwareDriverAdapterFactory;
  migrate(): Promise<string[]>;
  /** Answers when the database does (health checks). */
  ping(): Promise<void>;
  /**
   * Hears every NOTIFY on `channel`, from any process, in commit order, on a
   * connection of its own (PostgreSQL) until the returned function is called.
   * `onGap` is told when notifications may have been missed: the connection
   * dropped and is back.
   */
  listen(channel: string, onMessage: (payload: string) => void, onGap: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection string; without it PGlite is used. */
  url?: string;
  /** PGlite data folder, or "memory://" for a throw-away database. */
  dataDir?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /**
   * PostgreSQL itself when `url` is a pooler in transaction mode: migrations
   * (an advisory lock held across statements) and LISTEN need a session of
   * their own. Defaults to `url`.
   */
  directUrl?: string;
  /** Named prepared statements (default true); off for poolers that cannot keep them. */
  preparedStatements?: boolean;
  /** PGlite: start from this dumped data folder (`dumpDataDir`) instead of an empty one. */
  loadDataDir?: Blob;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const direct = options.directUrl ?? options.url;
    // One pool for the ORM and the hot statements (the adapter ends it on disconnect).
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    pool.on("error", () => {}); // an idle connection that dies is dropped from the pool; the next query opens another
    const names = options.preparedStatements === false ? undefined : statementNames();
    const adapter = new PrismaPg(pool, { disposeExternalPool: true, ...(names ? { statementNameGenerator: names } : {}) });
    const run = (statement: Prisma.Sql) => {
      // Built from the statement's pieces on every read.
      const text = statement.text;
      return pool.query({
        text,
        values: statement.values.map(utcIn),
        types: UTC_TYPES,
        ...(names ? { name: names({ sql: text }) || undefined } : {}),
      });
    };
    return wrap(
      "postgres",
      adapter,
      {
        query: async <T>(statement: Prisma.Sql) => (await run(statement)).rows as T[],
        execute: async (statement) => (await run(statement)).rowCount ?? 0,
      },
      async () => {},
      () => migratePostgres(direct),
      (channel, onMessage, onGap) => listenPostgres(direct, channel, onMessage, onGap),
    );
  }
  const dataDir = options.dataDir ?? ".data/pglite";
  let lock: DataDirLock | undefined;
  if (!dataDir.startsWith("memory://")) {
    await mkdir(dataDir, { recursive: true });
    lock = await lockDataDir(dataDir);
  }
  try {
    // Loaded only for the embedded database: a server on PostgreSQL never holds PGlite's WASM.
    const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import("@electric-sql/pglite"), import("pglite-prisma-adapter")]);
    const pglite: PGlite = new PGlite(dataDir, options.loadDataDir ? { loadDataDir: options.loadDataDir } : {});
    await pglite.waitReady;
    const adapter = new PrismaPGlite(pglite);
    const close = async () => {
      await pglite.close();
      await lock?.release();
    };
    const run = (statement: Prisma.Sql) => pglite.query(statement.text, statement.values.map(utcIn), { parsers: { [TIMESTAMP]: utcTimestamp } });
    return wrap(
      "pglite",
      adapter,
      {
        query: async <T>(statement: Prisma.Sql) => (await run(statement)).rows as T[],
        execute: async (statement) => (await run(statement)).affectedRows ?? 0,
      },
      close,
      async () => ((await migrationsUpToDate(async (sql) => (await pglite.query<never>(sql)).rows)) ? [] : applyMigrations(adapter)),
      (channel, onMessage) => pglite.listen(channel, onMessage),
    );
  } catch (error) {
    await lock?.release();
    throw error;
  }
}

/** Ours, apart from the one Prisma's schema engine takes (72707369). */
const MIGRATION_LOCK = 0x61757468;

/**
 * Migrates PostgreSQL so that any number of replicas may start at once. The
 * schema engine's own advisory lock waits only 10 s and stays held by the idle
 * pooled connection that took it, so replicas starting together timed out on
 * it (P1002). Here each process first queues on a lock of ours, on a
 * connection of its own, with no time limit. Holding it, a process that finds
 * every migration applied (the usual start) goes on without loading the
 * engine; otherwise it runs the engine, which releases its own lock when done,
 * before letting the next process in. The next one finds the work done.
 */
async function migratePostgres(url: string): Promise<string[]> {
  const lock = new pg.Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    if (await migrationsUpToDate(async (sql) => (await lock.query(sql)).rows)) return [];
    // Compiled, the engine runs in a thread of its own, and its memory goes when the thread ends.
    return await (import.meta.url.endsWith(".js") ? migrateInWorker(url) : applyPostgresMigrations(url));
  } finally {
    // Closing the session releases the lock too, should the unlock not arrive.
    await lock.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
    await lock.end();
  }
}

function migrateInWorker(url: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./migration-worker.js", import.meta.url), { workerData: { url } });
    let applied: string[] | undefined;
    worker.once("message", (names: string[]) => {
      applied = names;
    });
    worker.once("error", reject);
    worker.once("exit", (code) => (applied ? resolve(applied) : reject(new Error(`the migration thread ended with code ${code}`))));
  });
}

/**
 * Names prepared statements by their text, so each connection parses and plans
 * a statement once and then only binds and executes it: the hot paths run the
 * same few statements over and over (on the sign-in path this halves
 * PostgreSQL's CPU). One name per distinct text, process-wide.
 *
 * A statement that selects or returns `*` (or `t.*`) stays unnamed: a prepared
 * `SELECT *` or `RETURNING *` fails for good ("cached plan must not change
 * result type") once a migration from a newer release adds a column while this
 * process runs. A `*` that multiplies does not change the columns, and is named.
 */
// `*` or `alias.*` standing for columns: after SELECT, RETURNING or a comma, and before FROM, a comma, `)` or the end.
const STAR_COLUMNS = /(?:^|[\s,(])(?:"?\w+"?\.)?\*\s*(?:from\b|,|\)|;|$)/i;

export function statementNames(): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  let named = 0;
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined) {
      // "" is pg's unnamed statement; remembered too, so the pattern runs once per text.
      name = STAR_COLUMNS.test(sql) ? "" : `s${named++}`;
      names.set(sql, name);
    }
    return name;
  };
}

/** LISTEN on a client of its own that comes back (after a second) when the connection drops. */
async function listenPostgres(url: string, channel: string, onMessage: (payload: string) => void, onGap: () => void): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let client: pg.Client | undefined;
  let stopped = false;
  const connect = async () => {
    const next = new pg.Client({ connectionString: url });
    next.on("notification", (message) => {
      if (message.channel === channel && message.payload !== undefined) onMessage(message.payload);
    });
    next.on("error", () => {}); // followed by "end"
    next.on("end", () => {
      if (client !== next || stopped) return;
      client = undefined;
      retry();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
    } catch (error) {
      await next.end().catch(() => {});
      throw error;
    }
    client = next;
  };
  const retry = () =>
    setTimeout(() => {
      if (stopped) return;
      connect().then(onGap, retry);
    }, 1000).unref();
  await connect();
  return async () => {
    stopped = true;
    const last = client;
    client = undefined;
    await last?.end().catch(() => {});
  };
}

/** `timestamp without time zone`: the columns Prisma writes as UTC. */
const TIMESTAMP = 1114;
const utcTimestamp = (text: string) => new Date(`${text.replace(" ", "T")}Z`);
const UTC_TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP ? utcTimestamp : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};
/** PostgreSQL ignores the zone of a literal it reads as `timestamp`: an ISO string in UTC is the UTC time either way. */
const utcIn = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

function wrap(
  kind: Database["kind"],
  adapter: SqlMigrationAwareDriverAdapterFactory,
  sql: SqlRunner,
  closeDriver: () => Promise<void>,
  migrate: () => Promise<string[]>,
  listen: Database["listen"],
): Database {
  const prisma = new PrismaClient({ adapter });
  return {
    prisma,
    sql,
    kind,
    adapter,
    migrate,
    listen,
    async ping() {
      await prisma.$queryRaw`SELECT 1`;
    },
    async close() {
      await prisma.$disconnect();
      await closeDriver();
    },
  };
}
