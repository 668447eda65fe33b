import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, bearer, signUp, startApp, type TestApp } from "./helpers.js";

const CREATE = `mutation($expiresAt: DateTime!, $metadata: JSON) { createPersonalAccessToken(expiresAt: $expiresAt, metadata: $metadata) {
  __typename ... on AuthResult { status } ... on CreatePersonalAccessTokenOk { id personalAccessToken } ... on InvalidInputError { fieldErrors { id } } } }`;
const SIGN_IN = `mutation($pat: String!) { signInPersonalAccessToken(personalAccessToken: $pat) {
  __typename ... on AuthResult { status } ... on SignInPersonalAccessTokenOk { session { accessToken user { email } } } } }`;
const LIST = `{ personalAccessTokens { id metadata expiresAt createdAt lastUsedAt } }`;
const REVOKE = `mutation($id: ID!) { revokePersonalAccessToken(id: $id) { __typename ... on AuthResult { status } ... on RevokePersonalAccessTokenOk { didExist } } }`;

describe.each(DATABASES)("personal access tokens (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());
  const inDays = (days: number) => new Date(app.clock.now().getTime() + days * 86_400_000).toISOString();

  it("creates a token shown once, stored hashed, that signs in until revoked", async () => {
    const { session } = await signUp(app, "pat@example.com");
    const auth = bearer(session.accessToken);
    const created = (await app.gql(CREATE, { expiresAt: inDays(30), metadata: { name: "CI" } }, auth)).data.createPersonalAccessToken;
    expect(created).toMatchObject({ __typename: "CreatePersonalAccessTokenOk", status: "OK" });
    expect(created.personalAccessToken).toMatch(/^pat_[A-Za-z0-9_-]{43}$/);
    const rows = await app.auth.deps.prisma.personalAccessToken.findMany();
    expect(JSON.stringify(rows)).not.toContain(created.personalAccessToken.slice(4));

    const signedIn = (await app.gql(SIGN_IN, { pat: created.personalAccessToken })).data.signInPersonalAccessToken;
    expect(signedIn).toMatchObject({ __typename: "SignInPersonalAccessTokenOk", status: "OK", session: { user: { email: "pat@example.com" } } });
    expect((await app.gql(`{ me { email } }`, {}, bearer(signedIn.session.accessToken))).data.me.email).toBe("pat@example.com");
    const [listed] = (await app.gql(LIST, {}, auth)).data.personalAccessTokens;
    expect(listed).toMatchObject({ id: created.id, metadata: { name: "CI" }, expiresAt: inDays(30) });
    expect(listed.lastUsedAt).not.toBeNull();

    expect((await app.gql(REVOKE, { id: created.id }, auth)).data.revokePersonalAccessToken).toEqual({
      __typename: "RevokePersonalAccessTokenOk",
      status: "OK",
      didExist: true,
    });
    expect((await app.gql(REVOKE, { id: created.id }, auth)).data.revokePersonalAccessToken.didExist).toBe(false);
    expect((await app.gql(SIGN_IN, { pat: created.personalAccessToken })).data.signInPersonalAccessToken).toEqual({
      __typename: "InvalidPersonalAccessTokenError",
      status: "INVALID_PERSONAL_ACCESS_TOKEN_ERROR",
    });
  });

  it("needs an elevated session and a sensible expiry", async () => {
    const { session } = await signUp(app, "pat-rules@example.com");
    const auth = bearer(session.accessToken);
    expect((await app.gql(CREATE, { expiresAt: inDays(-1) }, auth)).data.createPersonalAccessToken.fieldErrors).toEqual([{ id: "expiresAt" }]);
    expect((await app.gql(CREATE, { expiresAt: inDays(400) }, auth)).data.createPersonalAccessToken.__typename).toBe("InvalidInputError");
    expect((await app.gql(CREATE, { expiresAt: inDays(1), metadata: [1] }, auth)).data.createPersonalAccessToken.fieldErrors).toEqual([{ id: "metadata" }]);
    expect((await app.gql(CREATE, { expiresAt: "not a date" }, auth)).errors?.length).toBeGreaterThan(0);
    expect((await app.gql(CREATE, { expiresAt: inDays(1) })).data.createPersonalAccessToken.__typename).toBe("UnauthorisedError");
    expect((await app.gql(LIST)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect((await app.gql(REVOKE, { id: "x" })).data.revokePersonalAccessToken.__typename).toBe("UnauthorisedError");
    app.clock.advance(301);
    expect((await app.gql(CREATE, { expiresAt: inDays(1) }, auth)).data.createPersonalAccessToken).toEqual({
      __typename: "ElevationRequiredError",
      status: "ELEVATION_REQUIRED",
    });
  });

  it("ends with its expiry, and with its user disabled or deleted", async () => {
    const { session, user } = await signUp(app, "pat-end@example.com");
    const auth = bearer(session.accessToken);
    const make = async (days: number) =>
      (await app.gql(CREATE, { expiresAt: inDays(days) }, auth)).data.createPersonalAccessToken.personalAccessToken as string;
    const short = await make(1);
    const long = await make(30);
    app.clock.advance(86_401);
    expect((await app.gql(SIGN_IN, { pat: short })).data.signInPersonalAccessToken.__typename).toBe("InvalidPersonalAccessTokenError");
    expect((await app.gql(SIGN_IN, { pat: long })).data.signInPersonalAccessToken.__typename).toBe("SignInPersonalAccessTokenOk");
    await app.auth.deps.prisma.user.update({ where: { id: user.id }, data: { disabled: true } });
    expect((await app.gql(SIGN_IN, { pat: long })).data.signInPersonalAccessToken.__typename).toBe("InvalidPersonalAccessTokenError");
    await app.auth.deps.prisma.user.delete({ where: { id: user.id } });
    expect(await app.auth.deps.prisma.personalAccessToken.count({ where: { userId: user.id } })).toBe(0);
    for (const junk of ["", "pat_", "pat_" + "x".repeat(43), "x".repeat(1000)]) {
      expect((await app.gql(SIGN_IN, { pat: junk })).data.signInPersonalAccessToken.__typename).toBe("InvalidPersonalAccessTokenError");
    }
    // A NUL is refused for the whole request, before any lookup.
    expect((await app.gql(SIGN_IN, { pat: "pat_\u0000" })).errors?.[0]?.message).toBe("input contains a NUL character");
  });
});
