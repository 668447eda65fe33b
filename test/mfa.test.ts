/**
 * Multi-factor sign-in as a module with more factors (API.md "Accounts:
 * assurance", "Second factors"): every second factor finishes MfaRequired and
 * counts wrong proofs toward the user's lock; every step-up proof elevates a
 * session only with a factor the account already had; policy (tenant, role)
 * forces enrolment before any session exists; an admin's reset removes every factor.
 */
import { decodeJwt } from "jose";
import { type TOTP, URI } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, REFRESH, bearer, emailedToken, startApp, type TestApp } from "./helpers.js";
import { SoftAuthenticator } from "./webauthn-authenticator.js";

const SECRET = "mfa-admin-secret-0123456789abcdef";
const ADMIN = { "x-admin-secret": SECRET };
const ORIGIN = "http://app.test";
const STATUS = `__typename ... on AuthResult { status }`;
const SESSION = `session { accessToken refreshToken }`;
const NEXT_STEP = `... on MfaRequired { ticket factors } ... on MfaEnrolmentRequired { ticket factors }`;
const SIGN_IN = `mutation($email: String!, $password: String!, $tenantId: String) { signInEmailPassword(email: $email, password: $password, tenantId: $tenantId) {
  ${STATUS} ${NEXT_STEP} ... on SignInEmailPasswordOk { ${SESSION} } } }`;
const SIGN_UP = `mutation($email: String!, $password: String!, $tenantId: String) { signUpEmailPassword(email: $email, password: $password, tenantId: $tenantId) {
  ${STATUS} ${NEXT_STEP} ... on SignUpEmailPasswordOk { user { id } ${SESSION} } } }`;
const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { ${STATUS} ... on CreateUserOk { user { id } } } }`;
const UPDATE_USER = `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { ${STATUS} } }`;
const UPDATE_TENANT = `mutation($id: String!, $config: TenantConfigInput!) { updateTenant(id: $id, config: $config) { ${STATUS} } }`;
const SEND_MFA_CODE = `mutation($ticket: String!, $factor: AuthFactor!) { sendSignInMfaCode(ticket: $ticket, factor: $factor) {
  ${STATUS} ... on SendSignInMfaCodeOk { factor destination } } }`;
const VERIFY_MFA_CODE = `mutation($ticket: String!, $code: String!) { verifySignInMfaCode(ticket: $ticket, code: $code) {
  ${STATUS} ... on VerifySignInMfaCodeOk { user { id } ${SESSION} } ... on LimitReachedError { retryAfterMs } } }`;
const CREATE_DEVICE = `mutation($ticket: String) { createTotpDevice(deviceName: "phone", ticket: $ticket) { ${STATUS} ... on CreateTotpDeviceOk { qrCodeString } } }`;
const VERIFY_DEVICE = `mutation($totp: String!, $ticket: String) { verifyTotpDevice(deviceName: "phone", totp: $totp, ticket: $ticket) {
  ${STATUS} ... on VerifyTotpDeviceOk { wasAlreadyVerified ${SESSION} } } }`;
const VERIFY_SIGN_IN_TOTP = `mutation($ticket: String!, $totp: String!) { verifySignInMfaTotp(ticket: $ticket, totp: $totp) { ${STATUS} } }`;
const ADD_KEY_OPTIONS = `mutation { addSecurityKeyOptions { ${STATUS} ... on WebauthnOptionsOk { options } } }`;
const ADD_KEY = `mutation($credential: JSON!) { addSecurityKey(credential: $credential) { ${STATUS} } }`;
const MFA_KEY_OPTIONS = `mutation($ticket: String!) { verifySignInMfaWebauthnOptions(ticket: $ticket) { ${STATUS} ... on WebauthnOptionsOk { options } } }`;
const MFA_KEY = `mutation($ticket: String!, $credential: JSON!) { verifySignInMfaWebauthn(ticket: $ticket, credential: $credential) {
  ${STATUS} ... on VerifySignInMfaWebauthnOk { ${SESSION} } ... on LimitReachedError { retryAfterMs } } }`;
const CHANGE_PASSWORD = `mutation { changePassword(newPassword: "another long passphrase") { ${STATUS} ... on ElevationRequiredError { factors } } }`;
const ELEVATE_PASSWORD = `mutation($password: String!) { elevatePassword(password: $password) { ${STATUS} ... on ElevatePasswordOk { elevatedUntil } ... on ElevationRequiredError { factors } } }`;
const SEND_ELEVATION_CODE = `mutation($factor: AuthFactor!) { sendElevationCode(factor: $factor) { ${STATUS} ... on SendElevationCodeOk { destination } } }`;
const ELEVATE_CODE = `mutation($code: String!) { elevateWithCode(code: $code) { ${STATUS} ... on ElevateWithCodeOk { elevatedUntil } } }`;
const CREATE_CODE = `mutation($phoneNumber: String!) { createCode(phoneNumber: $phoneNumber) { ${STATUS} ... on CreateCodeOk { deviceId preAuthSessionId } } }`;
const CONSUME_CODE = `mutation($p: String!, $d: String!, $c: String!) { consumeCode(preAuthSessionId: $p, deviceId: $d, userInputCode: $c) {
  ${STATUS} ${NEXT_STEP} ... on ConsumeCodeOk { user { id } ${SESSION} } } }`;
const RESET_MFA = `mutation($userId: ID!, $factors: [String!]) { resetUserMfa(userId: $userId, factors: $factors) {
  ${STATUS} ... on ResetUserMfaOk { devicesRemoved factors { factor removed } } } }`;

/** The 6-digit code of an otpauth:// URI at the app's clock. */
const totpOf = (app: TestApp, uri: string) => (URI.parse(uri) as TOTP).generate({ timestamp: app.clock.now().getTime() });
/** The newest one-time code sent to an address (email or SMS). */
async function sentCode(app: TestApp, to: string): Promise<string> {
  await app.auth.deps.idle();
  const text = to.startsWith("+") ? app.sms.last(to)?.body : app.outbox.last(to)?.text;
  const code = /\b(\d{6})\b/.exec(text ?? "")?.[1];
  if (!code) throw new Error(`no code sent to ${to}`);
  return code;
}
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe.each(DATABASES)("multi-factor sign-in and step-up (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { env: { ADMIN_SECRET: SECRET, TOTP_MAX_ATTEMPTS: "3", USER_ROLES: "user,me,editor" } });
  });
  afterAll(() => app?.close());

  /** Past the elevation window (and the access token's life): the session refreshed, as a client would. */
  async function stale(session: { refreshToken: string }): Promise<Record<string, string>> {
    app.clock.advance(3600);
    const refreshed = (await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession;
    expect(refreshed.__typename).toBe("RefreshSessionOk");
    return bearer(refreshed.session.accessToken);
  }
  const signIn = async (email: string, tenantId?: string) => (await app.gql(SIGN_IN, { email, password: PASSWORD, tenantId })).data.signInEmailPassword;
  async function createUser(input: Record<string, unknown>): Promise<string> {
    const created = (await app.gql(CREATE_USER, { input: { password: PASSWORD, ...input } }, ADMIN)).data.createUser;
    expect(created.__typename).toBe("CreateUserOk");
    return created.user.id;
  }
  const setTenant = async (id: string, config: Record<string, unknown>) =>
    expect((await app.gql(UPDATE_TENANT, { id, config }, ADMIN)).data.updateTenant.__typename).toBe("UpdateTenantOk");

  /** A signed-in user with a verified TOTP device (multi-factor sign-in on); answers the device's URI. */
  async function withTotp(auth: Record<string, string>): Promise<string> {
    const uri = (await app.gql(CREATE_DEVICE, {}, auth)).data.createTotpDevice.qrCodeString;
    expect((await app.gql(VERIFY_DEVICE, { totp: totpOf(app, uri) }, auth)).data.verifyTotpDevice.__typename).toBe("VerifyTotpDeviceOk");
    return uri;
  }
  /** A user signed in by SMS code (a verified phone number). */
  async function smsUser(phoneNumber: string) {
    const started = (await app.gql(CREATE_CODE, { phoneNumber })).data.createCode;
    const consumed = await app.gql(CONSUME_CODE, { p: started.preAuthSessionId, d: started.deviceId, c: await sentCode(app, phoneNumber) });
    return consumed.data.consumeCode;
  }

  it("finishes a sign-in with a code to the verified email, once, and counts wrong codes toward the user's lock", async () => {
    await setTenant("public", { mfa: "REQUIRED" });
    try {
      await createUser({ email: "mail-code@example.com", emailVerified: true });
      const first = await signIn("mail-code@example.com");
      expect(first).toMatchObject({ __typename: "MfaRequired", factors: ["emailCode"] });
      // Only this sign-in's factors, and only to the account's own address.
      expect((await app.gql(SEND_MFA_CODE, { ticket: first.ticket, factor: "smsCode" })).data.sendSignInMfaCode.__typename).toBe("InvalidInputError");
      expect((await app.gql(SEND_MFA_CODE, { ticket: "forged", factor: "emailCode" })).data.sendSignInMfaCode.__typename).toBe("InvalidTicketError");
      expect((await app.gql(SEND_MFA_CODE, { ticket: first.ticket, factor: "emailCode" })).data.sendSignInMfaCode).toEqual({
        __typename: "SendSignInMfaCodeOk",
        status: "OK",
        factor: "emailCode",
        destination: "m***@example.com",
      });
      const code = await sentCode(app, "mail-code@example.com");
      expect((await app.gql(VERIFY_MFA_CODE, { ticket: first.ticket, code: wrong(code) })).data.verifySignInMfaCode.__typename).toBe(
        "IncorrectUserInputCodeError",
      );
      const finished = (await app.gql(VERIFY_MFA_CODE, { ticket: first.ticket, code })).data.verifySignInMfaCode;
      expect(finished.__typename).toBe("VerifySignInMfaCodeOk");
      expect(decodeJwt(finished.session.accessToken).amr).toEqual(expect.arrayContaining(["pwd", "otp", "mfa"]));
      // The ticket and the code are spent.
      expect((await app.gql(VERIFY_MFA_CODE, { ticket: first.ticket, code })).data.verifySignInMfaCode.__typename).toBe("InvalidTicketError");

      // Guessing: three wrong codes lock the user's second factors; then even the right code is refused.
      const second = await signIn("mail-code@example.com");
      await app.gql(SEND_MFA_CODE, { ticket: second.ticket, factor: "emailCode" });
      const next = await sentCode(app, "mail-code@example.com");
      for (let i = 0; i < 3; i++) await app.gql(VERIFY_MFA_CODE, { ticket: second.ticket, code: wrong(next) });
      const locked = (await app.gql(VERIFY_MFA_CODE, { ticket: second.ticket, code: next })).data.verifySignInMfaCode;
      expect(locked).toMatchObject({ __typename: "LimitReachedError", retryAfterMs: expect.any(Number) });
    } finally {
      await setTenant("public", {});
    }
  });

  it("finishes a sign-in with a code by SMS to the verified phone number", async () => {
    await setTenant("public", { mfa: "REQUIRED" });
    try {
      // Signed up by SMS under a required policy: the phone is the only factor, and it was the first: enrol first.
      const bySms = await smsUser("+14155550101");
      expect(bySms).toMatchObject({ __typename: "MfaEnrolmentRequired", factors: ["totp"] });
      const userId = (await app.auth.deps.accounts.byPhone("public", "+14155550101"))!.id;
      expect(
        (await app.gql(UPDATE_USER, { id: userId, input: { email: "sms-second@example.com", emailVerified: false, password: PASSWORD } }, ADMIN)).data
          .updateUser.__typename,
      ).toBe("UpdateUserOk");
      const started = await signIn("sms-second@example.com");
      expect(started).toMatchObject({ __typename: "MfaRequired", factors: ["smsCode"] });
      const sent = (await app.gql(SEND_MFA_CODE, { ticket: started.ticket, factor: "smsCode" })).data.sendSignInMfaCode;
      expect(sent).toMatchObject({ __typename: "SendSignInMfaCodeOk", destination: "+14******101" });
      const finished = (await app.gql(VERIFY_MFA_CODE, { ticket: started.ticket, code: await sentCode(app, "+14155550101") })).data.verifySignInMfaCode;
      expect(finished.__typename).toBe("VerifySignInMfaCodeOk");
      expect(decodeJwt(finished.session.accessToken).amr).toEqual(expect.arrayContaining(["pwd", "sms", "otp", "mfa"]));
    } finally {
      await setTenant("public", {});
    }
  });

  it("finishes a sign-in with a passkey or security key bound to its ticket, and counts bad assertions", async () => {
    const signedUp = (await app.gql(SIGN_UP, { email: "key-second@example.com", password: PASSWORD })).data.signUpEmailPassword;
    const auth = bearer(signedUp.session.accessToken);
    await withTotp(auth);
    const key = new SoftAuthenticator({ origin: ORIGIN });
    const { options } = (await app.gql(ADD_KEY_OPTIONS, {}, auth)).data.addSecurityKeyOptions;
    expect((await app.gql(ADD_KEY, { credential: key.create(options) }, auth)).data.addSecurityKey.__typename).toBe("AddSecurityKeyOk");

    // Codes to the mailbox are not offered once an authenticator is enrolled (the mailbox resets the password).
    const first = await signIn("key-second@example.com");
    expect(first).toMatchObject({ __typename: "MfaRequired", factors: ["totp", "webauthn"] });
    const second = await signIn("key-second@example.com");
    const forFirst = (await app.gql(MFA_KEY_OPTIONS, { ticket: first.ticket })).data.verifySignInMfaWebauthnOptions.options;
    // An assertion made for one sign-in does not finish another.
    expect((await app.gql(MFA_KEY, { ticket: second.ticket, credential: key.get(forFirst) })).data.verifySignInMfaWebauthn.__typename).toBe(
      "InvalidChallengeError",
    );
    // A key that is not the user's does not finish it either.
    const stranger = new SoftAuthenticator({ origin: ORIGIN });
    stranger.create({ ...options, challenge: "c3RyYW5nZXI" });
    const forSecond = (await app.gql(MFA_KEY_OPTIONS, { ticket: second.ticket })).data.verifySignInMfaWebauthnOptions.options;
    expect(
      (await app.gql(MFA_KEY, { ticket: second.ticket, credential: stranger.get(forSecond, { credentialId: stranger.keys[0]!.id.toString("base64url") }) }))
        .data.verifySignInMfaWebauthn.__typename,
    ).not.toBe("VerifySignInMfaWebauthnOk");
    // With one more bad assertion, three have failed: the lock (TOTP_MAX_ATTEMPTS, shared by every second factor) holds even the right key.
    const again = (await app.gql(MFA_KEY_OPTIONS, { ticket: second.ticket })).data.verifySignInMfaWebauthnOptions.options;
    await app.gql(MFA_KEY, { ticket: second.ticket, credential: { ...key.get(again), id: "AAAA", rawId: "AAAA" } });
    const locked = (await app.gql(MFA_KEY_OPTIONS, { ticket: second.ticket })).data.verifySignInMfaWebauthnOptions.options;
    expect((await app.gql(MFA_KEY, { ticket: second.ticket, credential: key.get(locked) })).data.verifySignInMfaWebauthn.__typename).toBe("LimitReachedError");

    app.clock.advance(3600); // the lock passes
    const third = await signIn("key-second@example.com");
    const fresh = (await app.gql(MFA_KEY_OPTIONS, { ticket: third.ticket })).data.verifySignInMfaWebauthnOptions.options;
    const finished = (await app.gql(MFA_KEY, { ticket: third.ticket, credential: key.get(fresh, { uv: false }) })).data.verifySignInMfaWebauthn;
    expect(finished.__typename).toBe("VerifySignInMfaWebauthnOk");
    expect(decodeJwt(finished.session.accessToken).amr).toEqual(expect.arrayContaining(["pwd", "hwk", "mfa"]));
  });

  it("steps a stale session up with the password, refusing wrong ones, and never for a user with MFA on", async () => {
    const signedUp = (await app.gql(SIGN_UP, { email: "step-pwd@example.com", password: PASSWORD })).data.signUpEmailPassword;
    const auth = await stale(signedUp.session);
    // The email was never verified: a code to it is no proof.
    expect((await app.gql(CHANGE_PASSWORD, {}, auth)).data.changePassword).toMatchObject({ __typename: "ElevationRequiredError", factors: ["password"] });
    expect((await app.gql(ELEVATE_PASSWORD, { password: "not the password" }, auth)).data.elevatePassword.__typename).toBe("WrongCredentialsError");
    const elevated = (await app.gql(ELEVATE_PASSWORD, { password: PASSWORD }, auth)).data.elevatePassword;
    expect(elevated).toMatchObject({ __typename: "ElevatePasswordOk", elevatedUntil: new Date(app.clock.now().getTime() + 300_000).toISOString() });
    expect((await app.gql(CHANGE_PASSWORD, {}, auth)).data.changePassword.__typename).toBe("ChangePasswordOk");

    // With a second factor on, the password alone no longer elevates: a second factor does.
    const mfaUser = (await app.gql(SIGN_UP, { email: "step-mfa@example.com", password: PASSWORD })).data.signUpEmailPassword;
    app.clock.advance(5); // the device comes after the session opened: it cannot step that session up
    await withTotp(bearer(mfaUser.session.accessToken));
    const mfaAuth = await stale(mfaUser.session);
    expect((await app.gql(CHANGE_PASSWORD, {}, mfaAuth)).data.changePassword).toMatchObject({ __typename: "ElevationRequiredError", factors: [] });
    expect((await app.gql(ELEVATE_PASSWORD, { password: PASSWORD }, mfaAuth)).data.elevatePassword.__typename).toBe("ElevationRequiredError");
  });

  it("steps a stale session up with a code to an address the account had verified when the session opened", async () => {
    await createUser({ email: "step-mail@example.com", emailVerified: true });
    const signedIn = await signIn("step-mail@example.com");
    const auth = await stale(signedIn.session);
    expect((await app.gql(CHANGE_PASSWORD, {}, auth)).data.changePassword).toMatchObject({ factors: ["password", "emailCode"] });
    expect((await app.gql(SEND_ELEVATION_CODE, { factor: "smsCode" }, auth)).data.sendElevationCode.__typename).toBe("ElevationRequiredError");
    expect((await app.gql(SEND_ELEVATION_CODE, { factor: "emailCode" }, auth)).data.sendElevationCode).toMatchObject({
      __typename: "SendElevationCodeOk",
      destination: "s***@example.com",
    });
    const code = await sentCode(app, "step-mail@example.com");
    expect((await app.gql(ELEVATE_CODE, { code: wrong(code) }, auth)).data.elevateWithCode.__typename).toBe("IncorrectUserInputCodeError");
    // The code belongs to this session: another session of the same user cannot spend it.
    const other = bearer((await signIn("step-mail@example.com")).session.accessToken);
    expect((await app.gql(ELEVATE_CODE, { code }, other)).data.elevateWithCode.__typename).not.toBe("ElevateWithCodeOk");
    expect((await app.gql(ELEVATE_CODE, { code }, auth)).data.elevateWithCode.__typename).toBe("ElevateWithCodeOk");
    expect((await app.gql(CHANGE_PASSWORD, {}, auth)).data.changePassword.__typename).toBe("ChangePasswordOk");

    // By SMS, for a user whose phone is verified.
    const bySms = await smsUser("+14155550102");
    const smsAuth = await stale(bySms.session);
    const asked = (await app.gql(`mutation { createTotpDevice { ${STATUS} ... on ElevationRequiredError { factors } } }`, {}, smsAuth)).data.createTotpDevice;
    expect(asked).toMatchObject({ __typename: "ElevationRequiredError", factors: ["smsCode"] });
    await app.gql(SEND_ELEVATION_CODE, { factor: "smsCode" }, smsAuth);
    expect((await app.gql(ELEVATE_CODE, { code: await sentCode(app, "+14155550102") }, smsAuth)).data.elevateWithCode.__typename).toBe("ElevateWithCodeOk");
    expect((await app.gql(CREATE_DEVICE, {}, smsAuth)).data.createTotpDevice.__typename).toBe("CreateTotpDeviceOk");
  });

  it("does not count an email verified after the session opened as a step-up proof", async () => {
    const signedUp = (await app.gql(SIGN_UP, { email: "late-proof@example.com", password: PASSWORD })).data.signUpEmailPassword;
    app.clock.advance(5);
    const token = await emailedToken(app, "late-proof@example.com");
    expect((await app.gql(`mutation($token: String!) { verifyEmail(token: $token) { ${STATUS} } }`, { token })).data.verifyEmail.__typename).toBe(
      "VerifyEmailOk",
    );
    const auth = await stale(signedUp.session);
    expect((await app.gql(CHANGE_PASSWORD, {}, auth)).data.changePassword).toMatchObject({ factors: ["password"] });
    expect((await app.gql(SEND_ELEVATION_CODE, { factor: "emailCode" }, auth)).data.sendElevationCode.__typename).toBe("ElevationRequiredError");
  });

  it("a personal access token's session cannot step up with a password or a code", async () => {
    await createUser({ email: "pat-step@example.com", emailVerified: true });
    const { session } = await signIn("pat-step@example.com");
    const created = (
      await app.gql(
        `mutation($expiresAt: DateTime!) { createPersonalAccessToken(expiresAt: $expiresAt) { ... on CreatePersonalAccessTokenOk { personalAccessToken } } }`,
        { expiresAt: new Date(app.clock.now().getTime() + 86_400_000).toISOString() },
        bearer(session.accessToken),
      )
    ).data.createPersonalAccessToken;
    const pat = (
      await app.gql(
        `mutation($token: String!) { signInPersonalAccessToken(personalAccessToken: $token) { ... on SignInPersonalAccessTokenOk { session { accessToken } } } }`,
        { token: created.personalAccessToken },
      )
    ).data.signInPersonalAccessToken.session;
    const auth = bearer(pat.accessToken);
    expect((await app.gql(ELEVATE_PASSWORD, { password: PASSWORD }, auth)).data.elevatePassword).toMatchObject({
      __typename: "ElevationRequiredError",
      factors: [],
    });
    expect((await app.gql(SEND_ELEVATION_CODE, { factor: "emailCode" }, auth)).data.sendElevationCode.__typename).toBe("ElevationRequiredError");
    expect((await app.gql(ELEVATE_CODE, { code: "123456" }, auth)).data.elevateWithCode.__typename).toBe("ElevationRequiredError");
  });

  it("under a required policy, signs up and in only after enrolling a device with the enrolment ticket", async () => {
    await app.gql(`mutation { createTenant(id: "strict") { ${STATUS} } }`, {}, ADMIN);
    await setTenant("strict", { mfa: "REQUIRED" });
    const signedUp = (await app.gql(SIGN_UP, { email: "enrol@example.com", password: PASSWORD, tenantId: "strict" })).data.signUpEmailPassword;
    expect(signedUp).toMatchObject({ __typename: "MfaEnrolmentRequired", factors: ["totp"] });
    const user = await app.auth.deps.accounts.byEmail("strict", "enrol@example.com");
    expect(await app.auth.deps.prisma.session.count({ where: { userId: user!.id } })).toBe(0);
    const ticket = signedUp.ticket;

    // The ticket allows enrolling only: it is no sign-in ticket, and no session.
    expect((await app.gql(VERIFY_SIGN_IN_TOTP, { ticket, totp: "123456" })).data.verifySignInMfaTotp.__typename).toBe("InvalidTicketError");
    expect((await app.gql(`{ me { id } }`, {}, bearer(ticket))).data.me).toBeNull();
    const uri = (await app.gql(CREATE_DEVICE, { ticket })).data.createTotpDevice.qrCodeString;
    expect((await app.gql(VERIFY_DEVICE, { ticket, totp: wrong(totpOf(app, uri)) })).data.verifyTotpDevice.__typename).toBe("InvalidTotpError");
    const enrolled = (await app.gql(VERIFY_DEVICE, { ticket, totp: totpOf(app, uri) })).data.verifyTotpDevice;
    expect(enrolled).toMatchObject({ __typename: "VerifyTotpDeviceOk", wasAlreadyVerified: false, session: { accessToken: expect.any(String) } });
    expect(decodeJwt(enrolled.session.accessToken).amr).toEqual(expect.arrayContaining(["pwd", "otp", "mfa"]));
    expect((await app.gql(`{ me { email activeMfaType } }`, {}, bearer(enrolled.session.accessToken))).data.me).toEqual({
      email: "enrol@example.com",
      activeMfaType: "totp",
    });
    // Spent; and the next sign-in asks for the device.
    expect((await app.gql(CREATE_DEVICE, { ticket })).data.createTotpDevice.__typename).toBe("InvalidTicketError");
    app.clock.advance(30);
    expect(await signIn("enrol@example.com", "strict")).toMatchObject({ __typename: "MfaRequired", factors: ["totp"] });
    // The public tenant is not affected.
    expect((await app.gql(SIGN_UP, { email: "enrol@example.com", password: PASSWORD })).data.signUpEmailPassword.__typename).toBe("SignUpEmailPasswordOk");
  });

  it("requires a second factor of the roles named by the tenant, and none at all when MFA is off", async () => {
    await setTenant("public", { mfaRequiredRoles: ["editor"] });
    try {
      await createUser({ email: "editor@example.com", roles: ["user", "editor"] });
      await createUser({ email: "plain@example.com", roles: ["user"] });
      expect(await signIn("editor@example.com")).toMatchObject({ __typename: "MfaEnrolmentRequired", factors: ["totp"] });
      expect((await signIn("plain@example.com")).__typename).toBe("SignInEmailPasswordOk");
      expect((await app.gql(UPDATE_TENANT, { id: "public", config: { mfaRequiredRoles: ["nobody"] } }, ADMIN)).data.updateTenant.__typename).toBe(
        "InvalidInputError",
      );
    } finally {
      await setTenant("public", {});
    }
    const owner = (await app.gql(SIGN_UP, { email: "mfa-off@example.com", password: PASSWORD })).data.signUpEmailPassword;
    await withTotp(bearer(owner.session.accessToken));
    expect((await signIn("mfa-off@example.com")).__typename).toBe("MfaRequired");
    await setTenant("public", { mfa: "OFF" });
    try {
      expect((await signIn("mfa-off@example.com")).__typename).toBe("SignInEmailPasswordOk");
    } finally {
      await setTenant("public", {});
    }
  });

  it("an admin's reset removes every second factor: devices, recovery codes, passkeys", async () => {
    const signedUp = (await app.gql(SIGN_UP, { email: "reset-all@example.com", password: PASSWORD })).data.signUpEmailPassword;
    const auth = bearer(signedUp.session.accessToken);
    await withTotp(auth);
    await app.gql(`mutation { generateRecoveryCodes { ${STATUS} } }`, {}, auth);
    const key = new SoftAuthenticator({ origin: ORIGIN });
    const { options } = (await app.gql(ADD_KEY_OPTIONS, {}, auth)).data.addSecurityKeyOptions;
    await app.gql(ADD_KEY, { credential: key.create(options) }, auth);
    expect((await app.gql(`{ me { activeMfaType recoveryCodesRemaining } }`, {}, auth)).data.me).toEqual({ activeMfaType: "totp", recoveryCodesRemaining: 10 });

    expect((await app.gql(RESET_MFA, { userId: signedUp.user.id, factors: ["bogus"] }, ADMIN)).data.resetUserMfa.__typename).toBe("InvalidInputError");
    const reset = (await app.gql(RESET_MFA, { userId: signedUp.user.id }, ADMIN)).data.resetUserMfa;
    expect(reset).toMatchObject({ __typename: "ResetUserMfaOk", devicesRemoved: 1 });
    expect(Object.fromEntries(reset.factors.map((f: { factor: string; removed: number }) => [f.factor, f.removed]))).toEqual({
      totp: 1,
      webauthn: 1,
      recoveryCode: 10,
    });
    const refreshed = (await app.gql(REFRESH, { refreshToken: signedUp.session.refreshToken })).data.refreshSession.session;
    expect(
      (await app.gql(`{ me { activeMfaType recoveryCodesRemaining totpDevices { name } securityKeys { id } } }`, {}, bearer(refreshed.accessToken))).data.me,
    ).toEqual({ activeMfaType: null, recoveryCodesRemaining: 0, totpDevices: [], securityKeys: [] });
    expect((await signIn("reset-all@example.com")).__typename).toBe("SignInEmailPasswordOk");
  });
});
