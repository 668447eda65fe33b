import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { DATABASES, PASSWORD, REFRESH, SIGN_IN, SIGN_UP, bearer, emailedToken, signUp, startApp, type TestApp } from "./helpers.js";

describe.each(DATABASES)("concurrency (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  it("20 parallel refreshes with one token all succeed with one rotation", async () => {
    const { session } = await signUp(app, "tabs@example.com");
    const results = await Promise.all(Array.from({ length: 20 }, () => app.gql(REFRESH, { refreshToken: session.refreshToken })));
    const answers = results.map((result) => result.data.refreshSession);
    expect(answers.map((answer) => answer.__typename)).toEqual(Array(20).fill("RefreshSessionOk"));
    const children = new Set(answers.map((answer) => answer.session.refreshToken));
    expect(children.size).toBe(1);
    const spent = await app.auth.deps.prisma.usedRefreshToken.count({ where: { sessionId: session.refreshTokenId } });
    expect(spent).toBe(1);
    // The one child carries the session on.
    const next = await app.gql(REFRESH, { refreshToken: [...children][0] });
    expect(next.data.refreshSession.__typename).toBe("RefreshSessionOk");
  });

  // Refreshes arriving together rotate in one statement: families sharing a batch, and batches sharing families, stay apart.
  it("parallel refreshes of 8 families, each token sent 5 times in shuffled order, rotate each family once", async () => {
    const families = await Promise.all(Array.from({ length: 8 }, (_, i) => signUp(app, `family${i}@example.com`).then(({ session }) => session)));
    const sends = families.flatMap((session) => Array.from({ length: 5 }, () => session));
    sends.sort(() => Math.random() - 0.5);
    const results = await Promise.all(sends.map((session) => app.gql(REFRESH, { refreshToken: session.refreshToken })));
    const answers = results.map((result) => result.data.refreshSession);
    expect(answers.map((answer) => answer.__typename)).toEqual(Array(sends.length).fill("RefreshSessionOk"));
    for (const session of families) {
      const children = new Set(answers.filter((_answer, i) => sends[i] === session).map((answer) => answer.session.refreshToken));
      expect(children.size).toBe(1);
      expect(answers.find((answer, i) => sends[i] !== session && children.has(answer.session.refreshToken))).toBeUndefined();
      expect(await app.auth.deps.prisma.usedRefreshToken.count({ where: { sessionId: session.refreshTokenId } })).toBe(1);
      const next = await app.gql(REFRESH, { refreshToken: [...children][0] });
      expect(next.data.refreshSession.__typename).toBe("RefreshSessionOk");
    }
  });

  it("a stolen token refreshed beside other families revokes its own family only", async () => {
    const victim = (await signUp(app, "batch-victim@example.com")).session;
    const others = await Promise.all(Array.from({ length: 6 }, (_, i) => signUp(app, `batch-other${i}@example.com`).then(({ session }) => session)));
    // The victim's family moves on twice: its first token is now a grandparent, theft whenever it comes back.
    const child = (await app.gql(REFRESH, { refreshToken: victim.refreshToken })).data.refreshSession.session.refreshToken;
    await app.gql(REFRESH, { refreshToken: child });
    const results = await Promise.all([victim, ...others].map((session) => app.gql(REFRESH, { refreshToken: session.refreshToken })));
    const kinds = results.map((result) => result.data.refreshSession.__typename);
    expect(kinds).toEqual(["TokenTheftDetectedError", ...Array(others.length).fill("RefreshSessionOk")]);
    const revoked = await app.auth.deps.prisma.session.findMany({ where: { revokedAt: { not: null } }, select: { id: true } });
    const revokedIds = revoked.map((session) => session.id);
    expect(revokedIds).toContain(victim.refreshTokenId);
    for (const session of others) expect(revokedIds).not.toContain(session.refreshTokenId);
    for (const [i, session] of others.entries()) {
      const next = await app.gql(REFRESH, { refreshToken: results[i + 1]!.data.refreshSession.session.refreshToken });
      expect(next.data.refreshSession.__typename, session.refreshTokenId).toBe("RefreshSessionOk");
    }
  });

  it("signing out of every session while they refresh together neither fails nor leaves one alive", async () => {
    const { user } = await signUp(app, "everywhere@example.com");
    for (let attempt = 0; attempt < 5; attempt++) {
      const sessions = [];
      for (let i = 0; i < 4; i++)
        sessions.push(
          (await app.gql(SIGN_IN, { email: "everywhere@example.com", password: PASSWORD })).data.signInEmailPassword.session as {
            accessToken: string;
            refreshToken: string;
          },
        );
      // The refreshes share a batch that takes the user's rows while the sign-out takes them too.
      const [signedOut, ...refreshed] = await Promise.all([
        app.gql(`mutation { signOut(all: true) { __typename } }`, {}, bearer(sessions[0]!.accessToken)),
        ...sessions.map((session) => app.gql(REFRESH, { refreshToken: session.refreshToken })),
      ]);
      expect(signedOut.data.signOut.__typename).toBe("SignOutOk");
      const kinds = refreshed.map((result) => result.data.refreshSession.__typename);
      for (const kind of kinds) expect(["RefreshSessionOk", "UnauthorisedError"]).toContain(kind);
      expect(await app.auth.deps.prisma.session.count({ where: { userId: user.id, revokedAt: null } })).toBe(0);
      for (const result of refreshed.filter((result) => result.data.refreshSession.session)) {
        const again = await app.gql(REFRESH, { refreshToken: result.data.refreshSession.session.refreshToken });
        expect(again.data.refreshSession.__typename).toBe("UnauthorisedError");
      }
    }
  });

  // Held by hand, so the interleaving is certain: a batch that waited for one row while holding
  // another would deadlock with a statement taking the same two rows the other way round.
  it.skipIf(kind === "pglite")("a batch of refreshes never waits for a row while holding another", async () => {
    const signedUp = await Promise.all(["held-a", "held-b", "pair-1", "pair-2"].map((name) => signUp(app, `${name}@example.com`)));
    type Session = (typeof signedUp)[number]["session"];
    const [a, b, one, two] = signedUp.map(({ session }) => session) as [Session, Session, Session, Session];
    const [first, second] = one.refreshTokenId < two.refreshTokenId ? [one, two] : [two, one];
    const refresh = (session: Session) => app.gql(REFRESH, { refreshToken: session.refreshToken });
    // Transactions of their own on the app's database, holding rows until told.
    const [database] = await app.auth.deps.prisma.$queryRaw<Array<{ name: string }>>`SELECT current_database() AS name`;
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${database!.name}`;
    const clients: pg.Client[] = [];
    const hold = async (ids: string[]) => {
      const client = new pg.Client({ connectionString: url.toString() });
      clients.push(client);
      await client.connect();
      await client.query("BEGIN");
      await client.query(`SELECT id FROM "Session" WHERE id = ANY($1::uuid[]) FOR UPDATE`, [ids]);
      return client;
    };
    try {
      // The two batches that may be out wait on rows held here, so the pair's refreshes queue and go out together.
      const fillers = await hold([a.refreshTokenId, b.refreshTokenId]);
      // A sign-out of sorts: holds the pair's second row, and later takes the first.
      const signOut = await hold([second.refreshTokenId]);
      const waiting = [refresh(a)];
      await sleep(150);
      waiting.push(refresh(b));
      await sleep(150);
      const together = [refresh(first), refresh(second)];
      await sleep(150);
      await fillers.query("COMMIT");
      await sleep(300);
      // Had the pair's batch taken the first row and waited for the second, this would close the circle.
      await signOut.query(`UPDATE "Session" SET "lastUsedAt" = now() WHERE id = $1::uuid`, [first.refreshTokenId]);
      await signOut.query("COMMIT");
      const answers = await Promise.all([...waiting, ...together]);
      expect(answers.map((answer) => answer.data?.refreshSession?.__typename ?? answer.errors?.[0]?.message)).toEqual(Array(4).fill("RefreshSessionOk"));
    } finally {
      for (const client of clients) await client.end();
    }
  });

  it("20 parallel sign-ups with case variants of one email create one user", async () => {
    const variants = Array.from({ length: 20 }, (_, i) =>
      [..."parallel@example.com"].map((char, j) => ((i >> (j % 5)) & 1 ? char.toUpperCase() : char)).join(""),
    );
    const results = await Promise.all(variants.map((email) => app.gql(SIGN_UP, { email, password: PASSWORD })));
    const kinds = results.map((result) => result.data.signUpEmailPassword.__typename);
    expect(kinds.filter((name) => name === "SignUpEmailPasswordOk")).toHaveLength(1);
    expect(kinds.filter((name) => name === "EmailAlreadyExistsError")).toHaveLength(19);
    expect(await app.auth.deps.prisma.user.count({ where: { email: "parallel@example.com" } })).toBe(1);
    expect(await app.auth.deps.prisma.loginMethod.count({ where: { email: "parallel@example.com" } })).toBe(1);
  });

  it("a verification token spent by 10 parallel requests verifies once", async () => {
    await signUp(app, "double-verify@example.com");
    const token = await emailedToken(app, "double-verify@example.com");
    const query = `mutation($token: String!) { verifyEmail(token: $token) { __typename } }`;
    const results = await Promise.all(Array.from({ length: 10 }, () => app.gql(query, { token })));
    const kinds = results.map((result) => result.data.verifyEmail.__typename);
    expect(kinds.filter((name) => name === "VerifyEmailOk")).toHaveLength(1);
    expect(kinds.filter((name) => name === "EmailVerificationInvalidTokenError")).toHaveLength(9);
  });

  it("parallel wrong passwords cannot slip past the lockout threshold", async () => {
    await signUp(app, "burst@example.com");
    const query = `mutation { signInEmailPassword(email: "burst@example.com", password: "wrong guess!") { __typename } }`;
    const results = await Promise.all(Array.from({ length: 15 }, () => app.gql(query)));
    const kinds = results.map((result) => result.data.signInEmailPassword.__typename);
    expect(kinds.filter((name) => name === "WrongCredentialsError")).toHaveLength(10);
    expect(kinds.filter((name) => name === "LimitReachedError")).toHaveLength(5);
  });

  it("parallel refreshes of different sessions of one user do not interfere", async () => {
    const { session } = await signUp(app, "many-sessions@example.com");
    const signIn = `mutation { signInEmailPassword(email: "many-sessions@example.com", password: "${PASSWORD}") { ... on SignInEmailPasswordOk { session { refreshToken } } } }`;
    const others = await Promise.all(Array.from({ length: 5 }, () => app.gql(signIn)));
    const tokens = [session.refreshToken, ...others.map((other) => other.data.signInEmailPassword.session.refreshToken)];
    const results = await Promise.all(tokens.map((refreshToken) => app.gql(REFRESH, { refreshToken })));
    expect(results.every((result) => result.data.refreshSession.__typename === "RefreshSessionOk")).toBe(true);
    const me = await app.gql(`{ sessions { id } }`, {}, bearer(results[0]!.data.refreshSession.session.accessToken));
    expect(me.data.sessions).toHaveLength(6);
  });
});
