import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, REFRESH, SIGN_IN, bearer, signUp, startApp, type TestApp } from "./helpers.js";

const SIGN_OUT = `mutation($refreshToken: String, $all: Boolean) { signOut(refreshToken: $refreshToken, all: $all) { __typename ... on AuthResult { status } } }`;
const SESSIONS = `{ sessions { id createdAt lastUsedAt userAgent ip current } }`;
const REVOKE = `mutation($sessionId: ID!) { revokeSession(sessionId: $sessionId) { __typename ... on AuthResult { status } } }`;
const VERIFY = `query($token: String) { verifyToken(token: $token) { __typename ... on AuthResult { status } ... on VerifyTokenOk { claims } } }`;
const ME = `{ me { id } }`;

describe.each(DATABASES)("sessions (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  it("issues ES256 at+jwt access tokens that verify against the published JWKS", async () => {
    const { session, user } = await signUp(app, "jwt@example.com");
    const jwks = await (await app.fetch("/.well-known/jwks.json")).json();
    const { payload, protectedHeader } = await jwtVerify(session.accessToken, createLocalJWKSet(jwks), {
      issuer: "http://auth.test",
      audience: "http://auth.test",
      currentDate: app.clock.now(),
    });
    expect(protectedHeader).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    expect(payload).toMatchObject({ sub: user.id, sid: session.refreshTokenId, tid: "public", roles: ["user", "me"], default_role: "user" });
    expect(payload.exp! - payload.iat!).toBe(900);
    const query = await app.gql(`{ jwks }`);
    expect(query.data.jwks).toEqual(jwks);
  });

  it("rotates the refresh token on every use and keeps the session", async () => {
    const { session } = await signUp(app, "rotate@example.com");
    const first = (await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession;
    expect(first).toMatchObject({
      __typename: "RefreshSessionOk",
      status: "OK",
      session: { refreshTokenId: session.refreshTokenId, user: { email: "rotate@example.com" } },
    });
    expect(first.session.refreshToken).not.toBe(session.refreshToken);
    const second = (await app.gql(REFRESH, { refreshToken: first.session.refreshToken })).data.refreshSession;
    expect(second.__typename).toBe("RefreshSessionOk");
    expect((await app.gql(ME, {}, bearer(second.session.accessToken))).data.me).not.toBeNull();
  });

  it("answers UnauthorisedError for an unknown, empty or expired refresh token", async () => {
    expect((await app.gql(REFRESH, { refreshToken: "made-up" })).data.refreshSession).toMatchObject({
      __typename: "UnauthorisedError",
      status: "UNAUTHORISED",
    });
    expect((await app.gql(REFRESH, { refreshToken: "" })).data.refreshSession.__typename).toBe("UnauthorisedError");
    const { session } = await signUp(app, "old-refresh@example.com");
    app.clock.advance(30 * 86400 + 1);
    expect((await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession.__typename).toBe("UnauthorisedError");
  });

  it("revokes the whole family when a rotated token comes back after the grace window", async () => {
    const { session } = await signUp(app, "theft@example.com");
    const child = (await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession.session;
    app.clock.advance(11);
    const replay = (await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession;
    expect(replay).toMatchObject({ __typename: "TokenTheftDetectedError", status: "TOKEN_THEFT_DETECTED" });
    expect((await app.gql(REFRESH, { refreshToken: child.refreshToken })).data.refreshSession.__typename).toBe("UnauthorisedError");
    expect((await app.gql(ME, {}, bearer(child.accessToken))).data.me).toBeNull();
    const events = await app.auth.deps.prisma.auditEvent.findMany({ where: { type: "session.token_theft_detected" } });
    expect(events.length).toBeGreaterThan(0);
  });

  it("treats a grandparent token as theft even within the grace window", async () => {
    const { session } = await signUp(app, "grandparent@example.com");
    const child = (await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession.session;
    await app.gql(REFRESH, { refreshToken: child.refreshToken });
    const replay = (await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession;
    expect(replay.__typename).toBe("TokenTheftDetectedError");
  });

  it("signs out one session by refresh token, or all of them", async () => {
    const { session } = await signUp(app, "signout@example.com");
    const second = (await app.gql(SIGN_IN, { email: "signout@example.com", password: PASSWORD })).data.signInEmailPassword.session;
    const third = (await app.gql(SIGN_IN, { email: "signout@example.com", password: PASSWORD })).data.signInEmailPassword.session;
    const out = await app.gql(SIGN_OUT, { refreshToken: session.refreshToken });
    expect(out.data.signOut).toEqual({ __typename: "SignOutOk", status: "OK" });
    expect((await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession.__typename).toBe("UnauthorisedError");
    expect((await app.gql(ME, {}, bearer(second.accessToken))).data.me).not.toBeNull();
    await app.gql(SIGN_OUT, { all: true }, bearer(second.accessToken));
    expect((await app.gql(ME, {}, bearer(second.accessToken))).data.me).toBeNull();
    expect((await app.gql(ME, {}, bearer(third.accessToken))).data.me).toBeNull();
    expect((await app.gql(SIGN_OUT, { refreshToken: "unknown" })).data.signOut.__typename).toBe("SignOutOk");
  });

  it("signs out with a refresh token that was already rotated (a tab holding the parent)", async () => {
    const { session } = await signUp(app, "stale-tab@example.com");
    const child = (await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession.session;
    await app.gql(SIGN_OUT, { refreshToken: session.refreshToken });
    expect((await app.gql(REFRESH, { refreshToken: child.refreshToken })).data.refreshSession.__typename).toBe("UnauthorisedError");
    expect((await app.gql(ME, {}, bearer(child.accessToken))).data.me).toBeNull();
  });

  it("lists live sessions, marking the current one, and revokes one of them", async () => {
    const { session } = await signUp(app, "list@example.com");
    const other = (await app.gql(SIGN_IN, { email: "list@example.com", password: PASSWORD }, { "user-agent": "test-browser/1.0" })).data.signInEmailPassword
      .session;
    const { data } = await app.gql(SESSIONS, {}, bearer(session.accessToken));
    expect(data.sessions).toHaveLength(2);
    expect(data.sessions.find((s: { current: boolean }) => s.current).id).toBe(session.refreshTokenId);
    expect(data.sessions.find((s: { id: string }) => s.id === other.refreshTokenId).userAgent).toBe("test-browser/1.0");

    const revoked = await app.gql(REVOKE, { sessionId: other.refreshTokenId }, bearer(session.accessToken));
    expect(revoked.data.revokeSession).toEqual({ __typename: "RevokeSessionOk", status: "OK" });
    expect((await app.gql(ME, {}, bearer(other.accessToken))).data.me).toBeNull();
    expect((await app.gql(SESSIONS, {}, bearer(session.accessToken))).data.sessions).toHaveLength(1);
    const again = await app.gql(REVOKE, { sessionId: other.refreshTokenId }, bearer(session.accessToken));
    expect(again.data.revokeSession).toEqual({ __typename: "UnknownSessionError", status: "UNKNOWN_SESSION_ERROR" });
  });

  it("does not let one user revoke another user's session", async () => {
    const alice = await signUp(app, "alice-sessions@example.com");
    const bob = await signUp(app, "bob-sessions@example.com");
    const { data } = await app.gql(REVOKE, { sessionId: bob.session.refreshTokenId }, bearer(alice.session.accessToken));
    expect(data.revokeSession.__typename).toBe("UnknownSessionError");
    expect((await app.gql(REVOKE, { sessionId: "not-a-uuid" }, bearer(alice.session.accessToken))).data.revokeSession.__typename).toBe("UnknownSessionError");
    expect((await app.gql(ME, {}, bearer(bob.session.accessToken))).data.me).not.toBeNull();
  });

  it("answers UnauthorisedError or UNAUTHENTICATED without a session", async () => {
    expect((await app.gql(REVOKE, { sessionId: "00000000-0000-0000-0000-000000000000" })).data.revokeSession.__typename).toBe("UnauthorisedError");
    const list = await app.gql(SESSIONS);
    expect(list.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect((await app.gql(ME)).data.me).toBeNull();
    expect((await app.gql(ME, {}, bearer("garbage"))).data.me).toBeNull();
  });

  it("verifies a token given as argument or in the Authorization header", async () => {
    const { session, user } = await signUp(app, "verify-token@example.com");
    const byArg = await app.gql(VERIFY, { token: session.accessToken });
    expect(byArg.data.verifyToken).toMatchObject({ __typename: "VerifyTokenOk", status: "OK", claims: { sub: user.id } });
    const byHeader = await app.gql(VERIFY, {}, bearer(session.accessToken));
    expect(byHeader.data.verifyToken.claims.sub).toBe(user.id);
    expect((await app.gql(VERIFY, { token: "x.y.z" })).data.verifyToken).toEqual({ __typename: "UnauthorisedError", status: "UNAUTHORISED" });
  });

  it("ends access for a disabled user at once", async () => {
    const { session, user } = await signUp(app, "disable-now@example.com");
    await app.auth.deps.prisma.user.update({ where: { id: user.id }, data: { disabled: true } });
    expect((await app.gql(ME, {}, bearer(session.accessToken))).data.me).toBeNull();
    expect((await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession.__typename).toBe("UnauthorisedError");
  });

  it("rotates signing keys without logging anyone out", async () => {
    const { session } = await signUp(app, "keys@example.com");
    const before = (await (await app.fetch("/.well-known/jwks.json")).json()).keys;
    await app.auth.deps.keys.rotate();
    const after = (await (await app.fetch("/.well-known/jwks.json")).json()).keys;
    expect(after).toHaveLength(before.length + 1);
    expect((await app.gql(ME, {}, bearer(session.accessToken))).data.me).not.toBeNull();
    const refreshed = (await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession.session;
    const { kid } = JSON.parse(Buffer.from(refreshed.accessToken.split(".")[0], "base64url").toString());
    expect(kid).toBe(after.map((key: { kid: string }) => key.kid).find((k: string) => !before.some((b: { kid: string }) => b.kid === k)));
    // Once every token the old key signed has expired, it leaves the JWKS and verifies nothing.
    app.clock.advance(900 + 61);
    const later = (await (await app.fetch("/.well-known/jwks.json")).json()).keys;
    expect(later.map((key: { kid: string }) => key.kid)).toEqual([kid]);
    expect((await app.gql(ME, {}, bearer(session.accessToken))).data.me).toBeNull();
  });

  it("rotates the signing key by itself once it is older than the rotation period", async () => {
    const { session } = await signUp(app, "auto-rotate@example.com");
    const kidOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()).kid;
    app.clock.advance(30 * 86400 + 1);
    const fresh = (await app.gql(SIGN_IN, { email: "auto-rotate@example.com", password: PASSWORD })).data.signInEmailPassword.session;
    expect(kidOf(fresh.accessToken)).not.toBe(kidOf(session.accessToken));
  });
});

describe.each(DATABASES)("the viewer's security page in one query (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  it("answers sessions, TOTP devices, tokens and recovery codes on me, and nothing on other records", async () => {
    const { session } = await signUp(app, "settings@example.com");
    const auth = bearer(session.accessToken);
    await app.gql(`mutation { createTotpDevice { __typename } }`, {}, auth);
    await app.gql(`mutation { createPersonalAccessToken(expiresAt: "2026-03-01T00:00:00Z", metadata: { name: "ci" }) { __typename } }`, {}, auth);
    const { data } = await app.gql(
      `{ me { sessions { id current } totpDevices { name verified } personalAccessTokens { metadata } recoveryCodesRemaining activeMfaType } }`,
      {},
      auth,
    );
    expect(data.me).toEqual({
      sessions: [{ id: session.refreshTokenId, current: true }],
      totpDevices: [{ name: "TOTP Device 0", verified: false }],
      personalAccessTokens: [{ metadata: { name: "ci" } }],
      recoveryCodesRemaining: 0,
      activeMfaType: null,
    });
    // Someone else's record, reached through a sign-in result: no private fields.
    const other = await app.gql(
      `mutation { signUpEmailPassword(email: "other-settings@example.com", password: "${PASSWORD}") {
      ... on SignUpEmailPasswordOk { user { sessions { id } totpDevices { name } recoveryCodesRemaining } } } }`,
      {},
      auth,
    );
    expect(other.data.signUpEmailPassword.user).toEqual({ sessions: null, totpDevices: null, recoveryCodesRemaining: null });
  });
});

describe("Hasura claims (JWT_HASURA_CLAIMS=true)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp("pglite", { env: { JWT_HASURA_CLAIMS: "true" } });
  });
  afterAll(() => app?.close());

  it("puts Hasura's claims block in access tokens, also after a refresh", async () => {
    const { session, user } = await signUp(app, "hasura@example.com");
    const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString())["https://hasura.io/jwt/claims"];
    const expected = {
      "x-hasura-allowed-roles": ["user", "me"],
      "x-hasura-default-role": "user",
      "x-hasura-user-id": user.id,
      "x-hasura-user-is-anonymous": "false",
    };
    expect(claimsOf(session.accessToken)).toEqual(expected);
    const refreshed = (await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession.session;
    expect(claimsOf(refreshed.accessToken)).toEqual(expected);
  });
});
