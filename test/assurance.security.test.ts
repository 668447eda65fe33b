/**
 * Authentication assurance (API.md "Accounts: assurance"), tried the way an
 * attacker would: a stale or stolen session must not elevate itself with a
 * factor it enrolled, a personal access token is never a fresh sign-in, and a
 * session that keeps refreshing still ends at its absolute lifetime.
 */
import { decodeJwt } from "jose";
import { type TOTP, URI } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, REFRESH, SIGN_IN, bearer, signUp, startApp, type TestApp } from "./helpers.js";

const RESULT = `__typename ... on AuthResult { status }`;
const CHANGE_PASSWORD = `mutation { changePassword(newPassword: "the attacker's passphrase") { ${RESULT} ... on ElevationRequiredError { factors } } }`;
const CREATE_DEVICE = `mutation($name: String) { createTotpDevice(deviceName: $name) { ${RESULT} ... on CreateTotpDeviceOk { qrCodeString } } }`;
const VERIFY_DEVICE = `mutation($name: String!, $totp: String!) { verifyTotpDevice(deviceName: $name, totp: $totp) { ${RESULT} } }`;
const VERIFY_TOTP = `mutation($totp: String!) { verifyTotp(totp: $totp) { ${RESULT} } }`;
const CREATE_PAT = `mutation($expiresAt: DateTime!) { createPersonalAccessToken(expiresAt: $expiresAt) { ${RESULT} ... on CreatePersonalAccessTokenOk { personalAccessToken } } }`;
const PAT_SIGN_IN = `mutation($token: String!) { signInPersonalAccessToken(personalAccessToken: $token) { ${RESULT} ... on SignInPersonalAccessTokenOk { session { accessToken } } } }`;
const CHANGE_EMAIL = `mutation { changeEmail(newEmail: "thief@example.com") { ${RESULT} } }`;
const SESSIONS = `{ sessions { kind amr authenticatedAt elevatedUntil current } }`;

/** The 6-digit code of an otpauth:// URI at the app's clock. */
const codeOf = (app: TestApp, uri: string, offsetSeconds = 0) =>
  (URI.parse(uri) as TOTP).generate({ timestamp: app.clock.now().getTime() + offsetSeconds * 1000 });

describe.each(DATABASES)("authentication assurance (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { env: { SESSION_MAX_AGE: "86400" } });
  });
  afterAll(() => app?.close());

  const stale = () => app.clock.advance(3600); // past the elevation window (5 minutes)

  it("a stale session cannot enrol a factor, and cannot elevate itself with one it enrolled while fresh", async () => {
    const { session } = await signUp(app, "stale@example.com");
    const auth = bearer(session.accessToken);
    app.clock.advance(5);
    // While fresh, the session enrols a device of its own...
    const created = (await app.gql(CREATE_DEVICE, { name: "attacker" }, auth)).data.createTotpDevice;
    expect(created.__typename).toBe("CreateTotpDeviceOk");
    expect((await app.gql(VERIFY_DEVICE, { name: "attacker", totp: codeOf(app, created.qrCodeString) }, auth)).data.verifyTotpDevice.__typename).toBe(
      "VerifyTotpDeviceOk",
    );
    stale();
    const refreshed = (await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession.session;
    const later = bearer(refreshed.accessToken);
    // The device it enrolled itself is not a way to step up.
    expect((await app.gql(CHANGE_PASSWORD, {}, later)).data.changePassword).toMatchObject({ __typename: "ElevationRequiredError", factors: [] });
    // ...which cannot make it fresh again,
    const proof = await app.gql(VERIFY_TOTP, { totp: codeOf(app, created.qrCodeString) }, later);
    expect(proof.data.verifyTotp.__typename).not.toBe("VerifyTotpOk");
    expect((await app.gql(CHANGE_PASSWORD, {}, later)).data.changePassword.__typename).toBe("ElevationRequiredError");
    // and, stale, it cannot enrol another.
    expect((await app.gql(CREATE_DEVICE, { name: "second" }, later)).data.createTotpDevice.__typename).toBe("ElevationRequiredError");
  });

  it("a factor the account already had elevates a stale session", async () => {
    const { session: first } = await signUp(app, "owner@example.com");
    const created = (await app.gql(CREATE_DEVICE, { name: "phone" }, bearer(first.accessToken))).data.createTotpDevice;
    await app.gql(VERIFY_DEVICE, { name: "phone", totp: codeOf(app, created.qrCodeString) }, bearer(first.accessToken));
    app.clock.advance(60);
    // A later session (signed in with password and the device) goes stale, then proves the device again.
    const mfa = (await app.gql(SIGN_IN, { email: "owner@example.com", password: PASSWORD })).data.signInEmailPassword;
    expect(mfa.__typename).toBe("MfaRequired");
    const ticket = (await app.gql(`mutation { signInEmailPassword(email: "owner@example.com", password: "${PASSWORD}") { ... on MfaRequired { ticket } } }`))
      .data.signInEmailPassword.ticket;
    const signedIn = (
      await app.gql(
        `mutation($ticket: String!, $totp: String!) { verifySignInMfaTotp(ticket: $ticket, totp: $totp) { ... on VerifySignInMfaTotpOk { session { accessToken refreshToken } } } }`,
        { ticket, totp: codeOf(app, created.qrCodeString) },
      )
    ).data.verifySignInMfaTotp.session;
    expect(decodeJwt(signedIn.accessToken)).toMatchObject({ amr: expect.arrayContaining(["mfa", "otp"]), auth_time: expect.any(Number) });
    stale();
    const refreshed = (await app.gql(REFRESH, { refreshToken: signedIn.refreshToken })).data.refreshSession.session;
    const auth = bearer(refreshed.accessToken);
    expect((await app.gql(CHANGE_PASSWORD, {}, auth)).data.changePassword).toMatchObject({ __typename: "ElevationRequiredError", factors: ["totp"] });
    expect((await app.gql(VERIFY_TOTP, { totp: codeOf(app, created.qrCodeString) }, auth)).data.verifyTotp.__typename).toBe("VerifyTotpOk");
    expect((await app.gql(CHANGE_PASSWORD, {}, auth)).data.changePassword.__typename).toBe("ChangePasswordOk");
    const [current] = (await app.gql(SESSIONS, {}, auth)).data.sessions.filter((listed: { current: boolean }) => listed.current);
    expect(current.amr).toEqual(expect.arrayContaining(["mfa", "otp"]));
    expect(Date.parse(current.authenticatedAt)).toBe(app.clock.now().getTime());
  });

  it("a session opened with a personal access token is never elevated", async () => {
    const { session } = await signUp(app, "ci@example.com");
    const expiresAt = new Date(app.clock.now().getTime() + 30 * 86_400_000).toISOString();
    const { personalAccessToken } = (await app.gql(CREATE_PAT, { expiresAt }, bearer(session.accessToken))).data.createPersonalAccessToken;
    const patSession = (await app.gql(PAT_SIGN_IN, { token: personalAccessToken })).data.signInPersonalAccessToken.session;
    const auth = bearer(patSession.accessToken);
    expect(decodeJwt(patSession.accessToken)).toMatchObject({ amr: ["pat"] });
    for (const [name, query, variables] of [
      ["changePassword", CHANGE_PASSWORD, {}],
      ["changeEmail", CHANGE_EMAIL, {}],
      ["createPersonalAccessToken", CREATE_PAT, { expiresAt }],
      ["createTotpDevice", CREATE_DEVICE, { name: "ci" }],
      ["removeTotpDevice", `mutation { removeTotpDevice(deviceName: "x") { ${RESULT} } }`, {}],
      ["generateRecoveryCodes", `mutation { generateRecoveryCodes { ${RESULT} } }`, {}],
      ["addSecurityKeyOptions", `mutation { addSecurityKeyOptions { ${RESULT} } }`, {}],
      ["verifyTotpDevice", VERIFY_DEVICE, { name: "ci", totp: "123456" }],
      ["removeSecurityKey", `mutation { removeSecurityKey(id: "00000000-0000-4000-8000-000000000000") { ${RESULT} } }`, {}],
      ["linkIdToken", `mutation { linkIdToken(providerId: "google", idToken: "x.y.z", nonce: "n") { ${RESULT} } }`, {}],
      ["unlinkIdentity", `mutation { unlinkIdentity(providerId: "google", providerUserId: "x") { ${RESULT} } }`, {}],
      ["deleteAccount", `mutation { deleteAccount { ${RESULT} } }`, {}],
      ["createCode", `mutation { createCode(email: "linked@example.com", shouldTryLinkingWithSessionUser: true) { ${RESULT} } }`, {}],
      ["consumeCode", `mutation { consumeCode(preAuthSessionId: "p", linkCode: "l", shouldTryLinkingWithSessionUser: true) { ${RESULT} } }`, {}],
      [
        "thirdPartyAuthorisationUrl",
        `mutation { thirdPartyAuthorisationUrl(providerId: "google", redirectURI: "http://app.test/cb", connect: true) { ${RESULT} } }`,
        {},
      ],
      // Nor can it step up, with any proof.
      ["verifyTotp", VERIFY_TOTP, { totp: "123456" }],
      ["elevateWebauthnOptions", `mutation { elevateWebauthnOptions { ${RESULT} } }`, {}],
      ["elevatePassword", `mutation { elevatePassword(password: "${PASSWORD}") { ${RESULT} } }`, {}],
      ["sendElevationCode", `mutation { sendElevationCode(factor: emailCode) { ${RESULT} } }`, {}],
      ["elevateWithCode", `mutation { elevateWithCode(code: "123456") { ${RESULT} } }`, {}],
    ] as const) {
      expect((await app.gql(query, variables, auth)).data[name].__typename, name).toBe("ElevationRequiredError");
    }
    const [info] = (await app.gql(SESSIONS, {}, auth)).data.sessions.filter((listed: { current: boolean }) => listed.current);
    expect(info).toMatchObject({ kind: "PERSONAL_ACCESS_TOKEN", amr: ["pat"], elevatedUntil: null });
  });

  it("lists how each session was proven and until when it is elevated", async () => {
    const { session } = await signUp(app, "listed@example.com");
    const [info] = (await app.gql(SESSIONS, {}, bearer(session.accessToken))).data.sessions;
    expect(info).toMatchObject({ kind: "INTERACTIVE", amr: ["pwd"], current: true });
    expect(Date.parse(info.elevatedUntil) - Date.parse(info.authenticatedAt)).toBe(300_000);
  });

  it("ends a session that keeps refreshing at its absolute lifetime (SESSION_MAX_AGE)", async () => {
    const { session } = await signUp(app, "forever@example.com");
    let refreshToken = session.refreshToken;
    for (let hours = 0; hours < 23; hours++) {
      app.clock.advance(3600);
      const refreshed = (await app.gql(REFRESH, { refreshToken })).data.refreshSession;
      expect(refreshed.__typename).toBe("RefreshSessionOk");
      refreshToken = refreshed.session.refreshToken;
    }
    app.clock.advance(3600 + 1);
    expect((await app.gql(REFRESH, { refreshToken })).data.refreshSession.__typename).toBe("UnauthorisedError");
  });
});
