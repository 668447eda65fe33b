/**
 * Account integrity (API.md "Accounts"), tried the way an attacker would:
 * pre-hijacking an account through an address they never proved, recovery that
 * must leave them out, and spent tokens that must not authorise anything.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, SIGN_IN, SESSION_FIELDS, bearer, emailedToken, signUp, startApp, type TestApp } from "./helpers.js";
import { startOidcProvider, type TestProvider } from "./oidc-provider.js";
import { SoftAuthenticator } from "./webauthn-authenticator.js";

const ORIGIN = "http://app.test";
const REDIRECT_URI = "http://app.test/callback";
const ADMIN = { "x-admin-secret": "admin-secret-0123456789abcdef" };

const RESULT = `__typename ... on AuthResult { status } ... on AuthError { message }`;
const NOT_ALLOWED = `... on SignInUpNotAllowedError { reason }`;
const CREATE_CODE = `mutation($email: String!) { createCode(email: $email) { ${RESULT} ${NOT_ALLOWED} ... on CreateCodeOk { deviceId preAuthSessionId } } }`;
const CONSUME = `mutation($preAuthSessionId: String!, $deviceId: String!, $userInputCode: String!) {
  consumeCode(preAuthSessionId: $preAuthSessionId, deviceId: $deviceId, userInputCode: $userInputCode) {
    ${RESULT} ${NOT_ALLOWED} ... on ConsumeCodeOk { createdNewRecipeUser user { id email emailVerified loginMethods { recipeId } } ${SESSION_FIELDS} } } }`;
const PASSKEY_OPTIONS = `mutation($email: String!) { webauthnSignUpOptions(email: $email) { ${RESULT} ... on WebauthnOptionsOk { options } } }`;
const PASSKEY_SIGN_UP = `mutation($credential: JSON!) { webauthnSignUp(credential: $credential) { ${RESULT} ... on WebauthnSignUpOk { user { id } session { accessToken refreshToken } } } }`;
const PASSKEY_SIGN_IN_OPTIONS = `mutation($email: String) { webauthnSignInOptions(email: $email) { ${RESULT} ... on WebauthnOptionsOk { options } } }`;
const PASSKEY_SIGN_IN = `mutation($credential: JSON!) { webauthnSignIn(credential: $credential) { ${RESULT} ... on WebauthnSignInOk { user { id } } } }`;
const CREATE_PAT = `mutation($expiresAt: DateTime!) { createPersonalAccessToken(expiresAt: $expiresAt) { ${RESULT} ... on CreatePersonalAccessTokenOk { personalAccessToken } } }`;
const PAT_SIGN_IN = `mutation($token: String!) { signInPersonalAccessToken(personalAccessToken: $token) { ${RESULT} } }`;
const REFRESH = `mutation($token: String!) { refreshSession(refreshToken: $token) { ${RESULT} ... on RefreshSessionOk { session { refreshToken accessToken } } } }`;
const ANON = `mutation { signInAnonymous { ${RESULT} ... on SignInAnonymousOk { user { id } session { accessToken refreshToken } } } }`;
const DEANON = `mutation($email: String!) { deanonymizeUser(signInMethod: PASSWORDLESS, email: $email) { ${RESULT} } }`;
const AUTH_URL = `mutation($redirectURI: String!) { thirdPartyAuthorisationUrl(providerId: "local", redirectURI: $redirectURI) { ${RESULT} ... on ThirdPartyAuthorisationUrlOk { url } } }`;
const THIRD_PARTY = `mutation($code: String!, $state: String!, $iss: String) {
  thirdPartySignInUp(providerId: "local", redirectURI: "${REDIRECT_URI}", code: $code, state: $state, iss: $iss) {
    ${RESULT} ${NOT_ALLOWED} ... on ThirdPartySignInUpOk { createdNewUser user { id emailVerified } session { accessToken refreshToken } } } }`;
const RESET_REQUEST = `mutation($email: String!) { sendPasswordResetEmail(email: $email) { ${RESULT} } }`;
const RESET = `mutation($token: String!, $password: String!) { resetPassword(token: $token, newPassword: $password) {
  ${RESULT} ... on InvalidInputError { fieldErrors { id error } } } }`;
const CHANGE_EMAIL = `mutation($email: String!) { changeEmail(newEmail: $email) { ${RESULT} } }`;
const VERIFY_EMAIL = `mutation($token: String!) { verifyEmail(token: $token) { ${RESULT} ... on VerifyEmailOk { user { email } } } }`;
const SIGN_OUT = `mutation($token: String, $all: Boolean) { signOut(refreshToken: $token, all: $all) { ${RESULT} } }`;
const UPDATE_TENANT = `mutation($config: TenantConfigInput!) { updateTenant(id: "public", config: $config) { ${RESULT} } }`;
const AUDIT = `query($type: String) { auditEvents(type: $type, first: 50) { nodes { type userId data } } }`;

const codeIn = (text: string) => /code is (\d+)/.exec(text)![1]!;

describe.each(DATABASES)("account integrity (%s)", (kind) => {
  let app: TestApp;
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startOidcProvider([REDIRECT_URI]);
    const providers = [
      {
        id: "local",
        issuer: idp.issuer,
        clientId: idp.clients.web.clientId,
        clientSecret: idp.clients.web.clientSecret,
        scopes: ["openid", "email", "profile"],
      },
    ];
    app = await startApp(kind, {
      env: { THIRD_PARTY_PROVIDERS: JSON.stringify(providers), ANONYMOUS_USERS: "on", ADMIN_SECRET: ADMIN["x-admin-secret"] },
    });
  });
  beforeEach(async () => {
    app.clock.set(Date.now()); // the provider's tokens carry real times
    await app.gql(UPDATE_TENANT, { config: {} }, ADMIN);
  });
  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  const me = async (accessToken: string) => (await app.gql(`{ me { id email emailVerified } }`, {}, bearer(accessToken))).data?.me ?? null;

  /** The address's owner signs in with an emailed code. */
  async function ownerSignsInWithCode(email: string) {
    const flow = (await app.gql(CREATE_CODE, { email })).data.createCode;
    expect(flow.__typename).toBe("CreateCodeOk");
    await app.auth.deps.idle();
    return (await app.gql(CONSUME, { ...flow, userInputCode: codeIn(app.outbox.last(email)!.text) })).data.consumeCode;
  }

  /** The attacker signs up with a passkey for `email` (never proving it) and mints a PAT while the session is fresh. */
  async function attackerWithPasskey(email: string) {
    const authenticator = new SoftAuthenticator({ origin: ORIGIN });
    const { options } = (await app.gql(PASSKEY_OPTIONS, { email })).data.webauthnSignUpOptions;
    const signedUp = (await app.gql(PASSKEY_SIGN_UP, { credential: authenticator.create(options) })).data.webauthnSignUp;
    expect(signedUp.__typename).toBe("WebauthnSignUpOk");
    return { authenticator, userId: signedUp.user.id as string, session: signedUp.session as { accessToken: string; refreshToken: string } | null };
  }

  /** A discoverable sign-in: the authenticator answers with the key it holds, whatever the server still knows. */
  async function passkeySignIn(authenticator: SoftAuthenticator) {
    const { options } = (await app.gql(PASSKEY_SIGN_IN_OPTIONS, {})).data.webauthnSignInOptions;
    return (await app.gql(PASSKEY_SIGN_IN, { credential: authenticator.get(options) })).data.webauthnSignIn;
  }

  async function pat(accessToken: string) {
    const expiresAt = new Date(app.clock.now().getTime() + 86_400_000).toISOString();
    const created = (await app.gql(CREATE_PAT, { expiresAt }, bearer(accessToken))).data.createPersonalAccessToken;
    expect(created.__typename).toBe("CreatePersonalAccessTokenOk");
    return created.personalAccessToken as string;
  }

  describe("pre-hijacking through an address the attacker never proved", () => {
    it("a passkey sign-up: the owner's code sign-in starts clean, without the attacker's passkey, PAT or session", async () => {
      const email = "victim-passkey@example.com";
      const attacker = await attackerWithPasskey(email);
      const token = await pat(attacker.session!.accessToken);

      const owner = await ownerSignsInWithCode(email);
      expect(owner.__typename).toBe("ConsumeCodeOk");
      expect(owner.user).toMatchObject({ email, emailVerified: true, loginMethods: [{ recipeId: "passwordless" }] });

      expect(await me(attacker.session!.accessToken)).toBeNull();
      expect((await app.gql(REFRESH, { token: attacker.session!.refreshToken })).data.refreshSession.__typename).toBe("UnauthorisedError");
      expect((await app.gql(PAT_SIGN_IN, { token })).data.signInPersonalAccessToken.__typename).toBe("InvalidPersonalAccessTokenError");
      expect((await passkeySignIn(attacker.authenticator)).__typename).not.toBe("WebauthnSignInOk");
      const keys = (await app.gql(`{ securityKeys { id } }`, {}, bearer(owner.session.accessToken))).data.securityKeys;
      expect(keys).toEqual([]);
      const events = (await app.gql(AUDIT, { type: "account.started_clean" }, ADMIN)).data.auditEvents.nodes;
      expect(events).toContainEqual(expect.objectContaining({ userId: attacker.userId, data: { method: "passwordless", proven: "email" } }));
    });

    it("a passkey sign-up under EMAIL_VERIFICATION=required: the attacker's passkey stays useless after the owner signs in", async () => {
      await app.gql(UPDATE_TENANT, { config: { emailVerification: "REQUIRED" } }, ADMIN);
      const email = "victim-required@example.com";
      const attacker = await attackerWithPasskey(email);
      expect(attacker.session).toBeNull();
      expect((await passkeySignIn(attacker.authenticator)).__typename).toBe("EmailNotVerifiedError");

      const owner = await ownerSignsInWithCode(email);
      expect(owner.__typename).toBe("ConsumeCodeOk");
      expect((await passkeySignIn(attacker.authenticator)).__typename).not.toBe("WebauthnSignInOk");
    });

    it("an anonymous user made permanent with the victim's address (passwordless): the owner's sign-in ends the attacker's session", async () => {
      const email = "victim-anon@example.com";
      const visitor = (await app.gql(ANON)).data.signInAnonymous;
      expect((await app.gql(DEANON, { email }, bearer(visitor.session.accessToken))).data.deanonymizeUser.__typename).toBe("DeanonymizeUserOk");
      expect(await me(visitor.session.accessToken)).toMatchObject({ email, emailVerified: false });

      const owner = await ownerSignsInWithCode(email);
      expect(owner.__typename).toBe("ConsumeCodeOk");
      expect(await me(visitor.session.accessToken)).toBeNull();
      expect((await app.gql(REFRESH, { token: visitor.session.refreshToken })).data.refreshSession.__typename).toBe("UnauthorisedError");
    });

    it("a provider that reports the address unverified: the owner's sign-in removes the attacker's identity", async () => {
      const email = "victim-idp@example.com";
      idp.accounts["attacker-idp"] = { email, email_verified: false, name: "Mallory" };
      const signInWithProvider = async () => {
        const started = (await app.gql(AUTH_URL, { redirectURI: REDIRECT_URI })).data.thirdPartyAuthorisationUrl;
        const back = await idp.authorize(started.url, "attacker-idp");
        return (await app.gql(THIRD_PARTY, { code: back.searchParams.get("code"), state: back.searchParams.get("state"), iss: back.searchParams.get("iss") }))
          .data.thirdPartySignInUp;
      };
      const attacker = await signInWithProvider();
      expect(attacker).toMatchObject({ __typename: "ThirdPartySignInUpOk", createdNewUser: true, user: { emailVerified: false } });

      const owner = await ownerSignsInWithCode(email);
      expect(owner.__typename).toBe("ConsumeCodeOk");
      expect(owner.user.loginMethods).toEqual([{ recipeId: "passwordless" }]);
      expect(await me(attacker.session.accessToken)).toBeNull();
      // The unverified identity is no longer the owner's account: signing in with it is refused.
      const again = await signInWithProvider();
      expect(again.__typename).toBe("SignInUpNotAllowedError");
    });

    it("a password sign-up never proved: the owner's code sign-in removes the password the attacker chose", async () => {
      const email = "victim-password@example.com";
      const attacker = await signUp(app, email);
      const owner = await ownerSignsInWithCode(email);
      expect(owner.__typename).toBe("ConsumeCodeOk");
      expect(owner.user.id).toBe(attacker.user.id);
      expect(await me(attacker.session.accessToken)).toBeNull();
      expect((await app.gql(SIGN_IN, { email, password: PASSWORD })).data.signInEmailPassword.__typename).toBe("WrongCredentialsError");
    });

    it("an account whose address is proven is joined as it is: the owner's own sessions and keys stay", async () => {
      const email = "proven@example.com";
      const first = await ownerSignsInWithCode(email);
      const second = await ownerSignsInWithCode(email);
      expect(second.user.id).toBe(first.user.id);
      expect(await me(first.session.accessToken)).toMatchObject({ id: first.user.id });
    });
  });

  describe("recovery leaves nobody else in", () => {
    async function resetLink(email: string) {
      await app.gql(RESET_REQUEST, { email });
      return emailedToken(app, email);
    }

    it("a password reset ends every session and PAT, spends other reset links and a pending email change, and clears the lockout", async () => {
      const email = "recover@example.com";
      const { session } = await signUp(app, email);
      const token = await pat(session.accessToken);
      // The attacker (who has the session) asks to move the account to their own address.
      expect((await app.gql(CHANGE_EMAIL, { email: "thief@example.com" }, bearer(session.accessToken))).data.changeEmail.__typename).toBe("ChangeEmailOk");
      const changeTicket = await emailedToken(app, "thief@example.com");
      const older = await resetLink(email);
      // ...and guesses the password until the owner is locked out.
      for (let i = 0; i < 12; i++) await app.gql(SIGN_IN, { email, password: `wrong guess ${i}` });
      expect((await app.gql(SIGN_IN, { email, password: PASSWORD })).data.signInEmailPassword.__typename).toBe("LimitReachedError");

      const link = await resetLink(email);
      const newPassword = "a brand new passphrase";
      expect((await app.gql(RESET, { token: link, password: newPassword })).data.resetPassword.__typename).toBe("ResetPasswordOk");

      expect(await me(session.accessToken)).toBeNull();
      expect((await app.gql(PAT_SIGN_IN, { token })).data.signInPersonalAccessToken.__typename).toBe("InvalidPersonalAccessTokenError");
      expect((await app.gql(VERIFY_EMAIL, { token: changeTicket })).data.verifyEmail.__typename).toBe("EmailVerificationInvalidTokenError");
      expect((await app.gql(RESET, { token: older, password: "the attacker's passphrase" })).data.resetPassword.__typename).toBe(
        "ResetPasswordInvalidTokenError",
      );
      expect((await app.gql(SIGN_IN, { email, password: newPassword })).data.signInEmailPassword.__typename).toBe("SignInEmailPasswordOk");
    });

    it("a password reset removes passkeys added before the address was proven", async () => {
      const email = "recover-passkey@example.com";
      const attacker = await attackerWithPasskey(email);
      const link = await resetLink(email);
      expect((await app.gql(RESET, { token: link, password: "the owner's passphrase" })).data.resetPassword.__typename).toBe("ResetPasswordOk");
      expect((await passkeySignIn(attacker.authenticator)).__typename).not.toBe("WebauthnSignInOk");
      expect(await me(attacker.session!.accessToken)).toBeNull();
    });

    it("refuses the account's own email as the new password, as sign-up and changePassword do", async () => {
      const email = "own.address@example.com";
      await signUp(app, email);
      const link = await resetLink(email);
      const refused = (await app.gql(RESET, { token: link, password: email })).data.resetPassword;
      expect(refused.__typename).toBe("InvalidInputError");
    });

    it("an email change is announced to the old address and written to the audit log when confirmed", async () => {
      const { session, user } = await signUp(app, "old.address@example.com");
      await app.gql(CHANGE_EMAIL, { email: "new.address@example.com" }, bearer(session.accessToken));
      const ticket = await emailedToken(app, "new.address@example.com");
      expect((await app.gql(VERIFY_EMAIL, { token: ticket })).data.verifyEmail).toMatchObject({
        __typename: "VerifyEmailOk",
        user: { email: "new.address@example.com" },
      });
      await app.auth.deps.idle();
      expect(app.outbox.last("old.address@example.com")!.subject).toMatch(/email address was changed/i);
      const events = (await app.gql(AUDIT, { type: "email.changed" }, ADMIN)).data.auditEvents.nodes;
      expect(events).toContainEqual(expect.objectContaining({ type: "email.changed", userId: user.id }));
    });

    it("audits lockouts and ties failed sign-ins to the account they targeted", async () => {
      const email = "audited@example.com";
      const { user } = await signUp(app, email);
      for (let i = 0; i < 12; i++) await app.gql(SIGN_IN, { email, password: `wrong guess ${i}` });
      const failed = (await app.gql(AUDIT, { type: "user.sign_in_failed" }, ADMIN)).data.auditEvents.nodes;
      expect(failed).toContainEqual(expect.objectContaining({ userId: user.id }));
      const locked = (await app.gql(AUDIT, { type: "user.locked_out" }, ADMIN)).data.auditEvents.nodes;
      expect(locked).toContainEqual(expect.objectContaining({ userId: user.id }));
    });
  });

  describe("spent tokens authorise nothing", () => {
    it("a rotated refresh token cannot sign the user out everywhere", async () => {
      const email = "spent@example.com";
      await signUp(app, email);
      const phone = (await app.gql(SIGN_IN, { email, password: PASSWORD })).data.signInEmailPassword.session;
      const laptop = (await app.gql(SIGN_IN, { email, password: PASSWORD })).data.signInEmailPassword.session;
      expect((await app.gql(REFRESH, { token: laptop.refreshToken })).data.refreshSession.__typename).toBe("RefreshSessionOk");
      app.clock.advance(60); // past the grace window: the old token is spent

      await app.gql(SIGN_OUT, { token: laptop.refreshToken, all: true });
      expect(await me(phone.accessToken)).not.toBeNull();
    });
  });
});
