import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, REFRESH, SIGN_UP, bearer, emailedToken, signUp, startApp, type TestApp } from "./helpers.js";

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
