import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, SIGN_IN, bearer, signUp, startApp, type TestApp } from "./helpers.js";

const ANON = `mutation($displayName: String, $metadata: JSON) { signInAnonymous(displayName: $displayName, metadata: $metadata) {
  __typename ... on AuthResult { status } ... on SignUpNotAllowedError { reason }
  ... on SignInAnonymousOk { user { id isAnonymous roles defaultRole displayName metadata email } session { accessToken refreshToken } } } }`;
const DEANON = `mutation($method: DeanonymizeSignInMethod!, $email: String!, $password: String) {
  deanonymizeUser(signInMethod: $method, email: $email, password: $password) {
    __typename ... on AuthResult { status } ... on InvalidInputError { fieldErrors { id } } } }`;
const ME = `{ me { id email isAnonymous roles metadata } }`;

describe("anonymous sign-in switched off (the default)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp("pglite");
  });
  afterAll(() => app?.close());

  it("answers SignUpNotAllowedError", async () => {
    const { data } = await app.gql(ANON);
    expect(data.signInAnonymous).toEqual({ __typename: "SignUpNotAllowedError", status: "SIGN_UP_NOT_ALLOWED", reason: "Anonymous sign-in is disabled" });
  });
});

describe.each(DATABASES)("anonymous users (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { env: { ANONYMOUS_USERS: "on" } });
  });
  afterAll(() => app?.close());

  async function visitor(metadata: Record<string, unknown> = {}) {
    const { data } = await app.gql(ANON, { displayName: "Visitor", metadata });
    expect(data.signInAnonymous.__typename).toBe("SignInAnonymousOk");
    return data.signInAnonymous as { user: { id: string }; session: { accessToken: string; refreshToken: string } };
  }

  it("gives a visitor a session as an anonymous user", async () => {
    const { user, session } = await visitor({ cart: [1, 2] });
    expect(user).toMatchObject({ isAnonymous: true, roles: ["anonymous"], defaultRole: "anonymous", displayName: "Visitor", email: null });
    expect((await app.gql(ME, {}, bearer(session.accessToken))).data.me).toMatchObject({ id: user.id, isAnonymous: true });
  });

  it("bars anonymous users from what needs a real account", async () => {
    const { session } = await visitor();
    const auth = bearer(session.accessToken);
    const forbidden = { __typename: "ForbiddenAnonymousError", status: "FORBIDDEN_ANONYMOUS" };
    expect((await app.gql(`mutation { createTotpDevice { __typename ... on AuthResult { status } } }`, {}, auth)).data.createTotpDevice).toEqual(forbidden);
    expect(
      (await app.gql(`mutation { changePassword(newPassword: "a fine passphrase") { __typename ... on AuthResult { status } } }`, {}, auth)).data
        .changePassword,
    ).toEqual(forbidden);
    expect(
      (await app.gql(`mutation { changeEmail(newEmail: "x@example.com") { __typename ... on AuthResult { status } } }`, {}, auth)).data.changeEmail,
    ).toEqual(forbidden);
    expect((await app.gql(`mutation { generateRecoveryCodes { __typename ... on AuthResult { status } } }`, {}, auth)).data.generateRecoveryCodes).toEqual(
      forbidden,
    );
    const pat = await app.gql(
      `mutation { createPersonalAccessToken(expiresAt: "2026-02-01T00:00:00Z") { __typename ... on AuthResult { status } } }`,
      {},
      auth,
    );
    expect(pat.data.createPersonalAccessToken).toEqual(forbidden);
  });

  it("becomes a permanent email/password account with the same id and data", async () => {
    const { user, session } = await visitor({ cart: ["book"] });
    const auth = bearer(session.accessToken);
    const weak = await app.gql(DEANON, { method: "EMAIL_PASSWORD", email: "kept@example.com", password: "short" }, auth);
    expect(weak.data.deanonymizeUser.fieldErrors).toEqual([{ id: "password" }]);
    const { data } = await app.gql(DEANON, { method: "EMAIL_PASSWORD", email: "Kept@example.com", password: PASSWORD }, auth);
    expect(data.deanonymizeUser).toEqual({ __typename: "DeanonymizeUserOk", status: "OK" });
    expect((await app.gql(ME, {}, auth)).data.me).toEqual({
      id: user.id,
      email: "kept@example.com",
      isAnonymous: false,
      roles: ["user", "me"],
      metadata: { cart: ["book"] },
    });
    const signedIn = (await app.gql(SIGN_IN, { email: "kept@example.com", password: PASSWORD })).data.signInEmailPassword;
    expect(signedIn.user.id).toBe(user.id);
    await app.auth.deps.idle();
    expect(app.outbox.last("kept@example.com")?.subject).toBe("Verify your email address");
    expect((await app.gql(DEANON, { method: "EMAIL_PASSWORD", email: "again@example.com", password: PASSWORD }, auth)).data.deanonymizeUser).toEqual({
      __typename: "UserNotAnonymousError",
      status: "USER_NOT_ANONYMOUS_ERROR",
    });
  });

  it("refuses an email another account has", async () => {
    await signUp(app, "taken-anon@example.com");
    const { session } = await visitor();
    const { data } = await app.gql(DEANON, { method: "EMAIL_PASSWORD", email: "taken-anon@example.com", password: PASSWORD }, bearer(session.accessToken));
    expect(data.deanonymizeUser).toEqual({ __typename: "EmailAlreadyExistsError", status: "EMAIL_ALREADY_EXISTS_ERROR" });
    expect((await app.gql(DEANON, { method: "PASSWORDLESS", email: "x@example.com" })).data.deanonymizeUser.__typename).toBe("UnauthorisedError");
  });

  it("becomes a passwordless account that a code signs into", async () => {
    const { user, session } = await visitor();
    const { data } = await app.gql(DEANON, { method: "PASSWORDLESS", email: "otp-kept@example.com" }, bearer(session.accessToken));
    expect(data.deanonymizeUser.__typename).toBe("DeanonymizeUserOk");
    const flow = (await app.gql(`mutation { createCode(email: "otp-kept@example.com") { ... on CreateCodeOk { deviceId preAuthSessionId } } }`)).data
      .createCode;
    const code = /code is (\d+)/.exec(app.outbox.last("otp-kept@example.com")!.text)![1];
    const consumed = await app.gql(
      `mutation($p: String!, $d: String!, $c: String!) { consumeCode(preAuthSessionId: $p, deviceId: $d, userInputCode: $c) { __typename ... on ConsumeCodeOk { createdNewRecipeUser user { id emailVerified } } } }`,
      { p: flow.preAuthSessionId, d: flow.deviceId, c: code },
    );
    expect(consumed.data.consumeCode).toEqual({ __typename: "ConsumeCodeOk", createdNewRecipeUser: false, user: { id: user.id, emailVerified: true } });
  });

  it("cleans up anonymous users nobody came back to", async () => {
    const gone = await visitor();
    await app.gql(`mutation { signOut { __typename } }`, {}, bearer(gone.session.accessToken));
    const kept = await visitor();
    app.clock.advance(20 * 86400);
    const used = await app.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { __typename } }`, { t: kept.session.refreshToken });
    expect(used.data.refreshSession.__typename).toBe("RefreshSessionOk"); // still coming back
    app.clock.advance(11 * 86400);
    const deleted = await app.auth.housekeeping();
    expect(deleted.anonymousUsers).toBeGreaterThanOrEqual(1);
    expect(await app.auth.deps.prisma.user.count({ where: { id: gone.user.id } })).toBe(0);
    expect(await app.auth.deps.prisma.user.count({ where: { id: kept.user.id } })).toBe(1);
  });
});
