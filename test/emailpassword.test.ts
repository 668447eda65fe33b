import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, SIGN_IN, SIGN_UP, bearer, emailedToken, signUp, startApp, type TestApp } from "./helpers.js";

const EMAIL_EXISTS = `query($email: String!, $tenantId: String) { emailExists(email: $email, tenantId: $tenantId) }`;
const SEND_RESET = `mutation($email: String!, $redirectTo: String) {
  sendPasswordResetEmail(email: $email, redirectTo: $redirectTo) { __typename ... on AuthResult { status } ... on InvalidInputError { fieldErrors { id error } } }
}`;
const RESET = `mutation($token: String!, $newPassword: String!) {
  resetPassword(token: $token, newPassword: $newPassword) { __typename ... on AuthResult { status } ... on InvalidInputError { fieldErrors { id error } } }
}`;
const CHANGE_PASSWORD = `mutation($newPassword: String!, $signOutOtherSessions: Boolean) {
  changePassword(newPassword: $newPassword, signOutOtherSessions: $signOutOtherSessions) { __typename ... on AuthResult { status } ... on InvalidInputError { fieldErrors { id error } } }
}`;
const CHANGE_EMAIL = `mutation($newEmail: String!, $redirectTo: String) {
  changeEmail(newEmail: $newEmail, redirectTo: $redirectTo) { __typename ... on AuthResult { status } ... on InvalidInputError { fieldErrors { id error } } }
}`;
const SEND_VERIFICATION = `mutation($email: String!, $redirectTo: String) {
  sendVerificationEmail(email: $email, redirectTo: $redirectTo) { __typename ... on AuthResult { status } ... on InvalidInputError { fieldErrors { id error } } }
}`;
const VERIFY_EMAIL = `mutation($token: String!) {
  verifyEmail(token: $token) { __typename ... on AuthResult { status } ... on VerifyEmailOk { user { id email emailVerified } } }
}`;
const ME = `{ me { id email emailVerified loginMethods { recipeId email verified timeJoined } } }`;

describe.each(DATABASES)("email and password (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  describe("signUpEmailPassword", () => {
    it("creates a user with a session, normalising the email, and mails a verification link", async () => {
      const { data } = await app.gql(SIGN_UP, { email: "  Ada@Example.COM ", password: PASSWORD });
      const result = data.signUpEmailPassword;
      expect(result).toMatchObject({ __typename: "SignUpEmailPasswordOk", status: "OK", createdNewUser: true });
      expect(result.user).toMatchObject({ email: "ada@example.com", emailVerified: false, roles: ["user", "me"], defaultRole: "user", locale: "en" });
      expect(result.session.accessTokenExpiresIn).toBe(900);
      expect(result.session.user.id).toBe(result.user.id);
      await app.auth.deps.idle();
      expect(app.outbox.last("ada@example.com")?.subject).toBe("Verify your email address");
      const me = await app.gql(ME, {}, bearer(result.session.accessToken));
      expect(me.data.me).toMatchObject({ id: result.user.id, loginMethods: [{ recipeId: "emailpassword", email: "ada@example.com", verified: false }] });
    });

    it("answers EmailAlreadyExistsError for a case variant of a known email", async () => {
      await signUp(app, "dup@example.com");
      const { data } = await app.gql(SIGN_UP, { email: "DUP@example.com", password: PASSWORD });
      expect(data.signUpEmailPassword).toMatchObject({ __typename: "EmailAlreadyExistsError", status: "EMAIL_ALREADY_EXISTS_ERROR" });
    });

    it("applies sign-up options: roles subset, default role, profile, metadata", async () => {
      const { data } = await app.gql(SIGN_UP, {
        email: "opts@example.com",
        password: PASSWORD,
        options: { allowedRoles: ["user"], defaultRole: "user", displayName: "Opt", locale: "pt-BR", metadata: { plan: "pro" } },
      });
      expect(data.signUpEmailPassword.user).toMatchObject({
        roles: ["user"],
        defaultRole: "user",
        displayName: "Opt",
        locale: "pt-BR",
        metadata: { plan: "pro" },
      });
    });

    it.each([
      ["a malformed email", { email: "not-an-email" }, "email"],
      ["a short password", { password: "short" }, "password"],
      ["a common password", { password: "password123" }, "password"],
      ["a password over the maximum", { password: "x".repeat(257) }, "password"],
      ["the email as password", { email: "same@example.com", password: "same@example.com" }, "password"],
      ["an unconfigured role", { options: { allowedRoles: ["admin"] } }, "options.allowedRoles"],
      ["a default role outside the allowed ones", { options: { allowedRoles: ["me"], defaultRole: "user" } }, "options.defaultRole"],
      ["metadata that is not an object", { options: { metadata: [1, 2] } }, "options.metadata"],
      ["a bad locale", { options: { locale: "not a locale!" } }, "options.locale"],
      ["a redirect outside the allow-list", { options: { redirectTo: "https://evil.test/x" } }, "options.redirectTo"],
      ["an unknown form field", { formFields: [{ id: "age", value: "3" }] }, "age"],
      ["an unknown tenant", { tenantId: "nope" }, "tenantId"],
    ])("refuses %s with InvalidInputError", async (_, input, field) => {
      const { data } = await app.gql(SIGN_UP, { email: "fresh@example.com", password: PASSWORD, ...input });
      expect(data.signUpEmailPassword.__typename).toBe("InvalidInputError");
      expect(data.signUpEmailPassword.status).toBe("INVALID_INPUT_ERROR");
      expect(data.signUpEmailPassword.fieldErrors.map((error: { id: string }) => error.id)).toContain(field);
    });

    it("counts password length in code points, never truncating", async () => {
      // 8 emoji are 16 UTF-16 units but 8 characters: accepted at the default minimum of 8.
      const { data } = await app.gql(SIGN_UP, { email: "emoji@example.com", password: "🔑🔒🗝️🚪🔐🛡️🏰🧱" });
      expect(data.signUpEmailPassword.__typename).toBe("SignUpEmailPasswordOk");
      const long = "a".repeat(100) + "tail";
      await app.gql(SIGN_UP, { email: "long@example.com", password: long });
      const wrongTail = await app.gql(SIGN_IN, { email: "long@example.com", password: "a".repeat(100) + "tall" });
      expect(wrongTail.data.signInEmailPassword.__typename).toBe("WrongCredentialsError");
    });
  });

  describe("signInEmailPassword", () => {
    it("signs in with the right password, whatever the email's case", async () => {
      const { user } = await signUp(app, "grace@example.com");
      const { data } = await app.gql(SIGN_IN, { email: "GRACE@example.com", password: PASSWORD });
      expect(data.signInEmailPassword).toMatchObject({ __typename: "SignInEmailPasswordOk", status: "OK", user: { id: user.id } });
      const me = await app.gql(ME, {}, bearer(data.signInEmailPassword.session.accessToken));
      expect(me.data.me.id).toBe(user.id);
    });

    it("answers WrongCredentialsError alike for a wrong password and an unknown email", async () => {
      await signUp(app, "wrong@example.com");
      const wrong = await app.gql(SIGN_IN, { email: "wrong@example.com", password: "not the password" });
      const unknown = await app.gql(SIGN_IN, { email: "nobody@example.com", password: "not the password" });
      expect(wrong.data.signInEmailPassword).toEqual(unknown.data.signInEmailPassword);
      expect(wrong.data.signInEmailPassword).toMatchObject({ __typename: "WrongCredentialsError", status: "WRONG_CREDENTIALS_ERROR" });
    });

    it("answers UserDisabledError for a disabled account with the right password", async () => {
      const { user } = await signUp(app, "disabled@example.com");
      await app.auth.deps.prisma.user.update({ where: { id: user.id }, data: { disabled: true } });
      const { data } = await app.gql(SIGN_IN, { email: "disabled@example.com", password: PASSWORD });
      expect(data.signInEmailPassword).toMatchObject({ __typename: "UserDisabledError", status: "USER_DISABLED_ERROR" });
    });

    it("refuses a malformed email with InvalidInputError", async () => {
      const { data } = await app.gql(SIGN_IN, { email: "", password: PASSWORD });
      expect(data.signInEmailPassword.__typename).toBe("InvalidInputError");
    });
  });

  describe("emailExists", () => {
    it("says whether an account has the email", async () => {
      await signUp(app, "exists@example.com");
      expect((await app.gql(EMAIL_EXISTS, { email: "EXISTS@example.com" })).data.emailExists).toBe(true);
      expect((await app.gql(EMAIL_EXISTS, { email: "absent@example.com" })).data.emailExists).toBe(false);
      expect((await app.gql(EMAIL_EXISTS, { email: "exists@example.com", tenantId: "other" })).data.emailExists).toBe(false);
    });
  });

  describe("password reset", () => {
    it("mails a link whose token sets a new password once and ends every session", async () => {
      const { session } = await signUp(app, "reset@example.com");
      const sent = await app.gql(SEND_RESET, { email: "reset@example.com", redirectTo: "http://app.test/reset" });
      expect(sent.data.sendPasswordResetEmail).toMatchObject({ __typename: "SendPasswordResetEmailOk", status: "OK" });
      const token = await emailedToken(app, "reset@example.com");
      expect(app.outbox.last("reset@example.com")?.text).toContain("http://app.test/reset?token=");

      const weak = await app.gql(RESET, { token, newPassword: "short" });
      expect(weak.data.resetPassword.__typename).toBe("InvalidInputError");
      const reset = await app.gql(RESET, { token, newPassword: "a brand new passphrase" });
      expect(reset.data.resetPassword).toMatchObject({ __typename: "ResetPasswordOk", status: "OK" });
      const again = await app.gql(RESET, { token, newPassword: "another new passphrase" });
      expect(again.data.resetPassword).toMatchObject({ __typename: "ResetPasswordInvalidTokenError", status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" });

      expect((await app.gql(SIGN_IN, { email: "reset@example.com", password: PASSWORD })).data.signInEmailPassword.__typename).toBe("WrongCredentialsError");
      expect((await app.gql(SIGN_IN, { email: "reset@example.com", password: "a brand new passphrase" })).data.signInEmailPassword.__typename).toBe(
        "SignInEmailPasswordOk",
      );
      expect((await app.gql(ME, {}, bearer(session.accessToken))).data.me).toBeNull();
    });

    it("answers OK for an unknown email and sends nothing", async () => {
      const before = app.outbox.messages.length;
      const { data } = await app.gql(SEND_RESET, { email: "ghost@example.com" });
      expect(data.sendPasswordResetEmail.__typename).toBe("SendPasswordResetEmailOk");
      await app.auth.deps.idle();
      expect(app.outbox.messages.length).toBe(before);
    });

    it("refuses a redirect outside the allow-list", async () => {
      const { data } = await app.gql(SEND_RESET, { email: "reset@example.com", redirectTo: "http://app.test.evil.test/" });
      expect(data.sendPasswordResetEmail.__typename).toBe("InvalidInputError");
    });

    it("refuses an expired token", async () => {
      await signUp(app, "expired-reset@example.com");
      await app.gql(SEND_RESET, { email: "expired-reset@example.com" });
      const token = await emailedToken(app, "expired-reset@example.com");
      app.clock.advance(3601);
      const { data } = await app.gql(RESET, { token, newPassword: "a brand new passphrase" });
      expect(data.resetPassword.__typename).toBe("ResetPasswordInvalidTokenError");
    });
  });

  describe("email verification", () => {
    it("verifies with the emailed token once", async () => {
      const { user, session } = await signUp(app, "verify@example.com");
      const token = await emailedToken(app, "verify@example.com");
      const { data } = await app.gql(VERIFY_EMAIL, { token });
      expect(data.verifyEmail).toMatchObject({ __typename: "VerifyEmailOk", status: "OK", user: { id: user.id, emailVerified: true } });
      const again = await app.gql(VERIFY_EMAIL, { token });
      expect(again.data.verifyEmail).toMatchObject({ __typename: "EmailVerificationInvalidTokenError", status: "EMAIL_VERIFICATION_INVALID_TOKEN_ERROR" });
      // Only the signed-in owner learns the address is verified already; anyone else gets OK.
      const resend = await app.gql(SEND_VERIFICATION, { email: "verify@example.com" }, bearer(session.accessToken));
      expect(resend.data.sendVerificationEmail).toMatchObject({ __typename: "EmailAlreadyVerifiedError", status: "EMAIL_ALREADY_VERIFIED_ERROR" });
      expect((await app.gql(SEND_VERIFICATION, { email: "verify@example.com" })).data.sendVerificationEmail.__typename).toBe("SendVerificationEmailOk");
    });

    it("sends a new link on request, and answers OK for unknown emails", async () => {
      await signUp(app, "resend@example.com");
      const first = await emailedToken(app, "resend@example.com");
      const { data } = await app.gql(SEND_VERIFICATION, { email: "resend@example.com" });
      expect(data.sendVerificationEmail).toMatchObject({ __typename: "SendVerificationEmailOk", status: "OK" });
      expect(await emailedToken(app, "resend@example.com")).not.toBe(first);
      expect((await app.gql(SEND_VERIFICATION, { email: "unknown-verify@example.com" })).data.sendVerificationEmail.__typename).toBe("SendVerificationEmailOk");
    });
  });

  describe("changePassword and changeEmail", () => {
    it("change the password of an elevated session and end the other sessions", async () => {
      const { session } = await signUp(app, "change@example.com");
      const other = (await app.gql(SIGN_IN, { email: "change@example.com", password: PASSWORD })).data.signInEmailPassword.session;
      const weak = await app.gql(CHANGE_PASSWORD, { newPassword: "12345678" }, bearer(session.accessToken));
      expect(weak.data.changePassword.__typename).toBe("InvalidInputError");
      const { data } = await app.gql(CHANGE_PASSWORD, { newPassword: "an even better passphrase" }, bearer(session.accessToken));
      expect(data.changePassword).toMatchObject({ __typename: "ChangePasswordOk", status: "OK" });
      expect((await app.gql(ME, {}, bearer(session.accessToken))).data.me).not.toBeNull();
      expect((await app.gql(ME, {}, bearer(other.accessToken))).data.me).toBeNull();
      expect((await app.gql(SIGN_IN, { email: "change@example.com", password: "an even better passphrase" })).data.signInEmailPassword.__typename).toBe(
        "SignInEmailPasswordOk",
      );
    });

    it("answer ElevationRequiredError when the sign-in is older than the elevation window", async () => {
      const { session } = await signUp(app, "stale@example.com");
      app.clock.advance(301);
      const password = await app.gql(CHANGE_PASSWORD, { newPassword: "an even better passphrase" }, bearer(session.accessToken));
      expect(password.data.changePassword).toMatchObject({ __typename: "ElevationRequiredError", status: "ELEVATION_REQUIRED" });
      const email = await app.gql(CHANGE_EMAIL, { newEmail: "stale2@example.com" }, bearer(session.accessToken));
      expect(email.data.changeEmail.__typename).toBe("ElevationRequiredError");
    });

    it("answer UnauthorisedError without a session", async () => {
      expect((await app.gql(CHANGE_PASSWORD, { newPassword: "an even better passphrase" })).data.changePassword).toMatchObject({
        __typename: "UnauthorisedError",
        status: "UNAUTHORISED",
      });
      expect((await app.gql(CHANGE_EMAIL, { newEmail: "x@example.com" })).data.changeEmail.__typename).toBe("UnauthorisedError");
    });

    it("changes the email once the new address confirms it", async () => {
      const { session, user } = await signUp(app, "old@example.com");
      await signUp(app, "taken@example.com");
      const taken = await app.gql(CHANGE_EMAIL, { newEmail: "Taken@example.com" }, bearer(session.accessToken));
      expect(taken.data.changeEmail).toMatchObject({ __typename: "EmailAlreadyExistsError" });
      const bad = await app.gql(CHANGE_EMAIL, { newEmail: "nope" }, bearer(session.accessToken));
      expect(bad.data.changeEmail.__typename).toBe("InvalidInputError");

      const asked = await app.gql(CHANGE_EMAIL, { newEmail: "New@example.com" }, bearer(session.accessToken));
      expect(asked.data.changeEmail).toMatchObject({ __typename: "ChangeEmailOk", status: "OK" });
      expect((await app.gql(ME, {}, bearer(session.accessToken))).data.me.email).toBe("old@example.com");
      const token = await emailedToken(app, "new@example.com");
      const { data } = await app.gql(VERIFY_EMAIL, { token });
      expect(data.verifyEmail.user).toEqual({ id: user.id, email: "new@example.com", emailVerified: true });
      expect((await app.gql(SIGN_IN, { email: "new@example.com", password: PASSWORD })).data.signInEmailPassword.__typename).toBe("SignInEmailPasswordOk");
    });

    it("answers EmailAlreadyExistsError when the new address was taken before confirmation", async () => {
      const first = await signUp(app, "race1@example.com");
      const second = await signUp(app, "race2@example.com");
      await app.gql(CHANGE_EMAIL, { newEmail: "contested@example.com" }, bearer(first.session.accessToken));
      const firstToken = await emailedToken(app, "contested@example.com");
      await app.gql(CHANGE_EMAIL, { newEmail: "contested@example.com" }, bearer(second.session.accessToken));
      const secondToken = await emailedToken(app, "contested@example.com");
      expect((await app.gql(VERIFY_EMAIL, { token: secondToken })).data.verifyEmail.__typename).toBe("VerifyEmailOk");
      const { data } = await app.gql(VERIFY_EMAIL, { token: firstToken });
      expect(data.verifyEmail).toMatchObject({ __typename: "EmailAlreadyExistsError", status: "EMAIL_ALREADY_EXISTS_ERROR" });
    });
  });
});

describe.each(DATABASES)("email verification required (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { env: { EMAIL_VERIFICATION: "required" } });
  });
  afterAll(() => app?.close());

  it("withholds the session until the email is verified", async () => {
    const { data } = await app.gql(SIGN_UP, { email: "must@example.com", password: PASSWORD });
    expect(data.signUpEmailPassword).toMatchObject({ __typename: "SignUpEmailPasswordOk", session: null });
    const early = await app.gql(SIGN_IN, { email: "must@example.com", password: PASSWORD });
    expect(early.data.signInEmailPassword).toMatchObject({ __typename: "EmailNotVerifiedError", status: "EMAIL_NOT_VERIFIED_ERROR" });
    await app.gql(VERIFY_EMAIL, { token: await emailedToken(app, "must@example.com") });
    const later = await app.gql(SIGN_IN, { email: "must@example.com", password: PASSWORD });
    expect(later.data.signInEmailPassword.__typename).toBe("SignInEmailPasswordOk");
  });
});

describe.each(DATABASES)("sign-up disabled (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { recipes: { emailpassword: { signUpDisabled: true } } });
  });
  afterAll(() => app?.close());

  it("answers SignUpNotAllowedError with a reason", async () => {
    const { data } = await app.gql(SIGN_UP, { email: "closed@example.com", password: PASSWORD });
    expect(data.signUpEmailPassword).toMatchObject({ __typename: "SignUpNotAllowedError", status: "SIGN_UP_NOT_ALLOWED", reason: "Sign-up is disabled" });
  });
});
