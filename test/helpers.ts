/**
 * Test harness: a real app on a real database (in-memory PGlite, and a fresh
 * PostgreSQL database per app when TEST_DATABASE_URL is set), driven through
 * yoga's fetch exactly as HTTP clients drive it. Time is a settable clock.
 */
import { readFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import pg from "pg";
import pino from "pino";
import { createAuth, type Auth, type AuthOptions } from "../src/app.js";
import type { Clock } from "../src/clock.js";
import { openDatabase, type Database } from "../src/db/database.js";
import { createOutbox, type Outbox } from "../src/delivery/mailer.js";
import { createSmsOutbox, type SmsOutbox } from "../src/delivery/sms.js";

export type DatabaseKind = "pglite" | "postgres";

/** Every suite runs on PGlite, and on PostgreSQL too when CI provides one. */
export const DATABASES: DatabaseKind[] = process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

export class TestClock implements Clock {
  private current: number;
  constructor(start = Date.parse("2026-01-01T00:00:00Z")) {
    this.current = start;
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(seconds: number): void {
    this.current += seconds * 1000;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

/**
 * A PostgreSQL database of its own on the TEST_DATABASE_URL server, dropped by
 * the returned function; `migrated`: a copy of the run's migrated template.
 */
export async function createPostgresDatabase(options: { migrated?: boolean } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const base = new URL(process.env.TEST_DATABASE_URL!);
  // Named for the run, whose end drops what is left (test/global-setup.ts).
  const name = `auth_test_${process.env.TEST_RUN_ID ?? "x"}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  const template = options.migrated ? process.env.TEST_POSTGRES_TEMPLATE : undefined;
  await admin.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: base.toString() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

let pgliteTemplate: Promise<Blob | undefined> | undefined;

/** The run's migrated PGlite, dumped (test/global-setup.ts); read once per worker. */
function migratedPglite(): Promise<Blob | undefined> {
  const file = process.env.TEST_PGLITE_TEMPLATE;
  pgliteTemplate ??= file ? readFile(file).then((bytes) => new Blob([bytes])) : Promise.resolve(undefined);
  return pgliteTemplate;
}

/**
 * This worker's migrated databases that tests have closed, emptied for the
 * next test: opening a PGlite from the template costs over a second of CPU,
 * and a PostgreSQL database is created from the template and dropped again,
 * while emptying one takes some tens of milliseconds.
 */
const idle: Record<DatabaseKind, Database[]> = { pglite: [], postgres: [] };
let emptyAll: Promise<string> | undefined;

/**
 * A migrated database as the template has it (every table empty but the
 * migrations' record, sequences restarted). Closing it empties it and keeps it
 * for the next test; one that cannot be emptied is closed for good. The run's
 * PostgreSQL databases are dropped when it ends (test/global-setup.ts).
 */
async function reusedDatabase(kind: DatabaseKind): Promise<Database> {
  const db =
    idle[kind].pop() ??
    (kind === "pglite"
      ? await openDatabase({ dataDir: "memory://", loadDataDir: await migratedPglite() })
      : await openDatabase({ url: (await createPostgresDatabase({ migrated: true })).url, poolSize: 20 }));
  let closed = false;
  return {
    ...db,
    async ping() {
      if (closed) throw new Error("the database is closed");
      await db.ping();
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        emptyAll ??= db.prisma
          .$queryRawUnsafe<Array<{ tablename: string }>>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`)
          .then((rows) => `TRUNCATE ${rows.map((row) => `"${row.tablename}"`).join(", ")} RESTART IDENTITY CASCADE`);
        await db.prisma.$executeRawUnsafe(await emptyAll);
        idle[kind].push(db);
      } catch {
        await db.close();
      }
    },
  };
}

/** A database of the test's own: a copy of the migrated template, or with `fresh` an empty one. */
export async function openTestDatabase(kind: DatabaseKind, options: { fresh?: boolean } = {}): Promise<{ db: Database; drop(): Promise<void> }> {
  if (!options.fresh) return { db: await reusedDatabase(kind), drop: async () => {} };
  if (kind === "pglite") return { db: await openDatabase({ dataDir: "memory://" }), drop: async () => {} };
  const created = await createPostgresDatabase({ migrated: !options.fresh });
  const db = await openDatabase({ url: created.url, poolSize: 20 });
  return { db, drop: created.drop };
}

export interface TestApp {
  auth: Auth;
  clock: TestClock;
  outbox: Outbox;
  sms: SmsOutbox;
  /** POSTs a GraphQL operation; answers the parsed JSON body. */
  gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ data?: T; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }>;
  /** Raw request to the app. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export const TEST_ENCRYPTION_KEY = "0".repeat(63) + "1";

/** Requests to an app in this process, as a node server would see them: every one from one peer (a proxy, with TRUST_PROXY). */
export function clientOf(auth: Auth): Pick<TestApp, "fetch" | "gql"> {
  const fetch = async (path: string, init?: RequestInit): Promise<Response> =>
    auth.yoga.fetch(new Request(`http://auth.test${path}`, init), { ip: "127.0.0.1" });
  return {
    fetch,
    async gql(query, variables, headers) {
      const response = await fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return response.json();
    },
  };
}

export async function startApp(kind: DatabaseKind, options: AuthOptions = {}): Promise<TestApp> {
  const clock = (options.clock as TestClock | undefined) ?? new TestClock();
  const outbox = createOutbox(pino({ level: "silent" }));
  const sms = createSmsOutbox(pino({ level: "silent" }));
  // Passing `database` starts a second server process's worth of app on the same data.
  const { db, drop } = options.database ? { db: options.database, drop: async () => {} } : await openTestDatabase(kind);
  const auth = await createAuth({
    database: db,
    clock,
    mailer: outbox,
    sms,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    ...options,
    env: { ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, PUBLIC_URL: "http://auth.test", CLIENT_URL: "http://app.test", LOG_LEVEL: "silent", ...options.env },
  });
  return {
    auth,
    clock,
    outbox,
    sms,
    ...clientOf(auth),
    async close() {
      if (options.database) await auth.deps.idle();
      else await auth.close();
      await drop();
    },
  };
}

export const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });

/** The token query parameter of the newest emailed link to `to`. */
export async function emailedToken(app: TestApp, to: string): Promise<string> {
  await app.auth.deps.idle();
  const message = app.outbox.last(to);
  if (!message) throw new Error(`no email to ${to}`);
  const link = /https?:\/\/\S+/.exec(message.text)?.[0];
  return new URL(link!).searchParams.get("token")!;
}

export const SESSION_FIELDS = "session { accessToken accessTokenExpiresIn refreshToken refreshTokenId user { id email } }";

export const SIGN_UP = `mutation SignUp($email: String!, $password: String!, $options: SignUpOptions, $formFields: [FormFieldInput!], $tenantId: String) {
  signUpEmailPassword(email: $email, password: $password, options: $options, formFields: $formFields, tenantId: $tenantId) {
    __typename ... on AuthResult { status }
    ... on SignUpEmailPasswordOk { createdNewUser user { id email emailVerified roles defaultRole displayName locale metadata } ${SESSION_FIELDS} }
    ... on AuthError { message }
    ... on InvalidInputError { fieldErrors { id error } }
    ... on SignUpNotAllowedError { reason }
  }
}`;

export const SIGN_IN = `mutation SignIn($email: String!, $password: String!, $tenantId: String) {
  signInEmailPassword(email: $email, password: $password, tenantId: $tenantId) {
    __typename ... on AuthResult { status }
    ... on SignInEmailPasswordOk { user { id email } ${SESSION_FIELDS} }
    ... on AuthError { message }
    ... on LimitReachedError { retryAfterMs }
    ... on InvalidInputError { fieldErrors { id error } }
  }
}`;

export const REFRESH = `mutation($refreshToken: String!) {
  refreshSession(refreshToken: $refreshToken) {
    __typename ... on AuthResult { status }
    ... on RefreshSessionOk { ${SESSION_FIELDS} }
    ... on AuthError { message }
  }
}`;

export const PASSWORD = "correct horse battery staple";

export async function signUp(app: TestApp, email: string, password = PASSWORD) {
  const { data, errors } = await app.gql(SIGN_UP, { email, password });
  if (errors || data.signUpEmailPassword.__typename !== "SignUpEmailPasswordOk") {
    throw new Error(`sign-up failed: ${JSON.stringify(errors ?? data)}`);
  }
  return data.signUpEmailPassword as { user: { id: string; email: string }; session: { accessToken: string; refreshToken: string; refreshTokenId: string } };
}

/** Row counts of every table, to prove a refused request changed nothing. */
export async function tableCounts(app: TestApp): Promise<Record<string, number>> {
  const prisma = app.auth.deps.prisma;
  return {
    users: await prisma.user.count(),
    loginMethods: await prisma.loginMethod.count(),
    sessions: await prisma.session.count(),
    tickets: await prisma.ticket.count(),
    counters: await prisma.attemptCounter.count(),
  };
}

/** A personal access token for the signed-in user (a day long). */
export async function createPat(app: TestApp, accessToken: string): Promise<string> {
  const { data } = await app.gql(
    `mutation($at: DateTime!) { createPersonalAccessToken(expiresAt: $at) { ... on CreatePersonalAccessTokenOk { personalAccessToken } } }`,
    { at: new Date(app.clock.now().getTime() + 86_400_000).toISOString() },
    bearer(accessToken),
  );
  return data.createPersonalAccessToken.personalAccessToken;
}
