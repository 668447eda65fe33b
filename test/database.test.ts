import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuth } from "../src/app.js";
import pg from "pg";
import {
  clientOf,
  createPostgresDatabase,
  DATABASES,
  PASSWORD,
  SIGN_IN,
  TEST_ENCRYPTION_KEY,
  bearer,
  openTestDatabase,
  signUp,
  startApp,
  type TestApp,
} from "./helpers.js";

const REFRESH = `mutation($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { __typename } }`;

// The server prepares its hot statements once per connection (PostgreSQL); a
// rolling upgrade runs a newer release's migrations under it.
describe.each(DATABASES)("prepared statements across a newer release's migration (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app.close());

  it("keeps signing in, refreshing and answering me after columns are added to the tables they read", async () => {
    const { session } = await signUp(app, "rolling@example.com");
    const signIn = async () => (await app.gql(SIGN_IN, { email: "rolling@example.com", password: PASSWORD })).data.signInEmailPassword;
    // Several connections of the pool prepare the statements (8 at once stays under the lockout threshold).
    const before = await Promise.all(Array.from({ length: 8 }, signIn));
    expect(before.map((result) => result.__typename)).toEqual(Array(8).fill("SignInEmailPasswordOk"));

    await app.auth.deps.prisma.$executeRawUnsafe(`ALTER TABLE "User" ADD COLUMN "addedByNewerRelease" text DEFAULT 'x'`);
    await app.auth.deps.prisma.$executeRawUnsafe(`ALTER TABLE "Session" ADD COLUMN "addedByNewerRelease" text DEFAULT 'x'`);
    await app.auth.deps.prisma.$executeRawUnsafe(`ALTER TABLE "AttemptCounter" ADD COLUMN "addedByNewerRelease" text DEFAULT 'x'`);

    const after = await Promise.all(Array.from({ length: 8 }, signIn));
    expect(after.map((result) => result.__typename)).toEqual(Array(8).fill("SignInEmailPasswordOk"));
    expect(after[0].user.email).toBe("rolling@example.com");
    const refreshed = (await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession;
    expect(refreshed.__typename).toBe("RefreshSessionOk");
    const me = await app.gql(`{ me { email } }`, undefined, bearer(after[0].session.accessToken));
    expect(me.data?.me).toEqual({ email: "rolling@example.com" });
  });
});

describe("MIGRATE_ON_START", () => {
  it("=false leaves migrating to `npm run migrate`, and says so on a database that was not migrated", async () => {
    const { db, drop } = await openTestDatabase("pglite", { fresh: true });
    try {
      await expect(createAuth({ database: db, env: { MIGRATE_ON_START: "false", LOG_LEVEL: "silent", ENCRYPTION_KEY: TEST_ENCRYPTION_KEY } })).rejects.toThrow(
        /npm run migrate/,
      );
      expect((await db.migrate()).length).toBeGreaterThan(0); // what the migration job does
      const auth = await createAuth({ database: db, env: { MIGRATE_ON_START: "false", LOG_LEVEL: "silent", ENCRYPTION_KEY: TEST_ENCRYPTION_KEY } });
      const answer = await auth.yoga.fetch(
        new Request("http://auth.test/graphql", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: "{ authConfig { tenantId } }" }),
        }),
      );
      expect((await answer.json()).data.authConfig.tenantId).toBe("public");
      await auth.deps.idle();
    } finally {
      await db.close();
      await drop();
    }
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)("DATABASE_POOL_SIZE", () => {
  it("bounds the PostgreSQL connections a process opens, however many requests wait", async () => {
    const created = await createPostgresDatabase({ migrated: true });
    const auth = await createAuth({
      env: { DATABASE_URL: created.url, DATABASE_POOL_SIZE: "2", LOG_LEVEL: "silent", ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, PUBLIC_URL: "http://auth.test" },
    });
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      const { gql } = clientOf(auth);
      const signUps = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          gql(`mutation($email: String!, $password: String!) { signUpEmailPassword(email: $email, password: $password) { __typename } }`, {
            email: `pool${i}@example.com`,
            password: PASSWORD,
          }),
        ),
      );
      expect(signUps.map((answer) => answer.data.signUpEmailPassword.__typename)).toEqual(Array(12).fill("SignUpEmailPasswordOk"));
      const signIns = await Promise.all(Array.from({ length: 24 }, (_, i) => gql(SIGN_IN, { email: `pool${i % 12}@example.com`, password: PASSWORD })));
      expect(signIns.every((answer) => answer.data.signInEmailPassword.__typename === "SignInEmailPasswordOk")).toBe(true);
      const database = new URL(created.url).pathname.slice(1);
      const { rows } = await admin.query(`SELECT query FROM pg_stat_activity WHERE datname = $1`, [database]);
      // The pool's two, and the security events' LISTEN connection of its own.
      expect(rows.filter((row) => !/^LISTEN /.test(row.query)).length).toBeLessThanOrEqual(2);
      expect(rows.length).toBeLessThanOrEqual(3);
    } finally {
      await admin.end();
      await auth.close();
      await created.drop();
    }
  });
});
