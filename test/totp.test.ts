import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Secret, TOTP, URI } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, bearer, emailedToken, signUp, startApp, type TestApp } from "./helpers.js";

// RFC 6238 Appendix B, copied from the shared vectors (each algorithm has its own seed).
const RFC6238 = JSON.parse(readFileSync(new URL("./fixtures/totp-rfc6238.json", import.meta.url), "utf8")).vectors as Array<{
  time: number;
  algorithm: string;
  digits: number;
  period: number;
  secretBase32: string;
  totp: string;
}>;

const CREATE = `mutation($name: String) { createTotpDevice(deviceName: $name) {
  __typename ... on AuthResult { status } ... on CreateTotpDeviceOk { deviceName qrCodeString secret } } }`;
const VERIFY_DEVICE = `mutation($name: String!, $totp: String!) { verifyTotpDevice(deviceName: $name, totp: $totp) {
  __typename ... on AuthResult { status } ... on VerifyTotpDeviceOk { wasAlreadyVerified }
  ... on InvalidTotpError { currentNumberOfFailedAttempts maxNumberOfFailedAttempts } ... on LimitReachedError { retryAfterMs } } }`;
const VERIFY = `mutation($totp: String!) { verifyTotp(totp: $totp) {
  __typename ... on AuthResult { status }
  ... on InvalidTotpError { currentNumberOfFailedAttempts maxNumberOfFailedAttempts } ... on LimitReachedError { retryAfterMs } } }`;
const REMOVE = `mutation($name: String!) { removeTotpDevice(deviceName: $name) { __typename ... on AuthResult { status } ... on RemoveTotpDeviceOk { didDeviceExist } } }`;
const DEVICES = `{ totpDevices { name period skew verified } }`;

describe.each(DATABASES)("TOTP (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  /** A signed-in user with a verified device; returns a code generator bound to the test clock. */
  async function userWithDevice(email: string) {
    const { session, user } = await signUp(app, email);
    const auth = bearer(session.accessToken);
    const created = (await app.gql(CREATE, {}, auth)).data.createTotpDevice;
    const totp = URI.parse(created.qrCodeString) as TOTP;
    const code = () => totp.generate({ timestamp: app.clock.now().getTime() });
    expect((await app.gql(VERIFY_DEVICE, { name: created.deviceName, totp: code() }, auth)).data.verifyTotpDevice.__typename).toBe("VerifyTotpDeviceOk");
    // A device elevates only sessions opened after it was enrolled: sign in again, with it.
    app.clock.advance(30);
    const { ticket } = (await app.gql(SIGN_IN_MFA, { email, password: PASSWORD })).data.signInEmailPassword;
    const signedIn = (await app.gql(MFA_TOTP, { ticket, totp: code() })).data.verifySignInMfaTotp;
    app.clock.advance(30); // the next code
    return { auth: bearer(signedIn.session.accessToken), code, user, session: signedIn.session, deviceName: created.deviceName as string };
  }

  it("accepts the RFC 6238 Appendix B codes at their times (SHA1, SHA256, SHA512)", async () => {
    for (const [i, vector] of RFC6238.entries()) {
      app.clock.set(vector.time * 1000);
      const { session, user } = await signUp(app, `rfc${i}@example.com`);
      await app.auth.deps.prisma.totpDevice.create({
        data: {
          id: randomUUID(),
          userId: user.id,
          name: "rfc",
          secretEncrypted: app.auth.deps.encrypter.seal(vector.secretBase32),
          algorithm: vector.algorithm,
          digits: vector.digits,
          period: vector.period,
          skew: 0,
        },
      });
      const wrong = String((Number(vector.totp) + 1) % 10 ** vector.digits).padStart(vector.digits, "0");
      const refused = await app.gql(VERIFY_DEVICE, { name: "rfc", totp: wrong }, bearer(session.accessToken));
      expect(refused.data.verifyTotpDevice.__typename, `${vector.algorithm} at ${vector.time}`).toBe("InvalidTotpError");
      const { data } = await app.gql(VERIFY_DEVICE, { name: "rfc", totp: vector.totp }, bearer(session.accessToken));
      expect(data.verifyTotpDevice, `${vector.algorithm} at ${vector.time}`).toEqual({
        __typename: "VerifyTotpDeviceOk",
        status: "OK",
        wasAlreadyVerified: false,
      });
    }
    app.clock.set(Date.parse("2026-01-01T00:00:00Z"));
  });

  it("creates devices with default names and a standard otpauth URI, secrets sealed at rest", async () => {
    const { session, user } = await signUp(app, "devices@example.com");
    const auth = bearer(session.accessToken);
    const first = (await app.gql(CREATE, {}, auth)).data.createTotpDevice;
    expect(first).toMatchObject({ __typename: "CreateTotpDeviceOk", status: "OK", deviceName: "TOTP Device 0" });
    const uri = URI.parse(first.qrCodeString) as TOTP;
    expect(uri).toBeInstanceOf(TOTP);
    expect(uri.issuer).toBe("Auth");
    expect(uri.label).toBe("devices@example.com");
    expect(uri.secret.base32).toBe(first.secret);
    expect(Secret.fromBase32(first.secret).bytes.length).toBeGreaterThanOrEqual(20); // at least 160 bits
    expect((await app.gql(CREATE, {}, auth)).data.createTotpDevice.deviceName).toBe("TOTP Device 1");
    expect((await app.gql(CREATE, { name: "TOTP Device 0" }, auth)).data.createTotpDevice).toEqual({
      __typename: "DeviceAlreadyExistsError",
      status: "DEVICE_ALREADY_EXISTS_ERROR",
    });
    expect((await app.gql(CREATE, { name: "x".repeat(101) }, auth)).data.createTotpDevice.__typename).toBe("InvalidInputError");
    const stored = await app.auth.deps.prisma.totpDevice.findMany({ where: { userId: user.id } });
    for (const device of stored) expect(device.secretEncrypted).not.toContain(first.secret);
    expect((await app.gql(DEVICES, {}, auth)).data.totpDevices).toEqual([
      { name: "TOTP Device 0", period: 30, skew: 1, verified: false },
      { name: "TOTP Device 1", period: 30, skew: 1, verified: false },
    ]);
  });

  it("verifies a device once, then reports it was already verified", async () => {
    const { auth, code, deviceName } = await userWithDevice("verify-device@example.com");
    const { data } = await app.gql(VERIFY_DEVICE, { name: deviceName, totp: code() }, auth);
    expect(data.verifyTotpDevice).toEqual({ __typename: "VerifyTotpDeviceOk", status: "OK", wasAlreadyVerified: true });
    expect((await app.gql(VERIFY_DEVICE, { name: "nope", totp: code() }, auth)).data.verifyTotpDevice).toEqual({
      __typename: "UnknownDeviceError",
      status: "UNKNOWN_DEVICE_ERROR",
    });
  });

  it("refuses a replayed code within its window, also under parallel requests", async () => {
    const { auth, code } = await userWithDevice("replay@example.com");
    const now = code();
    expect((await app.gql(VERIFY, { totp: now }, auth)).data.verifyTotp).toEqual({ __typename: "VerifyTotpOk", status: "OK" });
    expect((await app.gql(VERIFY, { totp: now }, auth)).data.verifyTotp.__typename).toBe("InvalidTotpError");
    app.clock.advance(30);
    const next = code();
    const results = await Promise.all(Array.from({ length: 10 }, () => app.gql(VERIFY, { totp: next }, auth)));
    const kinds = results.map((result) => result.data.verifyTotp.__typename);
    expect(kinds.filter((name) => name === "VerifyTotpOk")).toHaveLength(1);
  });

  it("accepts one step of clock drift either way (skew 1), not two", async () => {
    const { auth, code } = await userWithDevice("drift@example.com");
    app.clock.advance(-30);
    const previous = code();
    app.clock.advance(60);
    expect((await app.gql(VERIFY, { totp: previous }, auth)).data.verifyTotp.__typename).toBe("InvalidTotpError"); // older than the last used step
    app.clock.advance(60);
    const future = code();
    app.clock.advance(-30);
    expect((await app.gql(VERIFY, { totp: future }, auth)).data.verifyTotp.__typename).toBe("VerifyTotpOk");
    app.clock.advance(120);
    const early = code();
    app.clock.advance(-60);
    expect((await app.gql(VERIFY, { totp: early }, auth)).data.verifyTotp.__typename).toBe("InvalidTotpError");
  });

  it("locks after 5 wrong codes for 900 s, counting down with the clock and growing on repeat", async () => {
    const { auth: firstAuth, code, session } = await userWithDevice("lock-totp@example.com");
    let auth = firstAuth;
    for (let i = 1; i <= 5; i++) {
      const { data } = await app.gql(VERIFY, { totp: "000000" === code() ? "111111" : "000000" }, auth);
      expect(data.verifyTotp).toEqual({
        __typename: "InvalidTotpError",
        status: "INVALID_TOTP_ERROR",
        currentNumberOfFailedAttempts: i,
        maxNumberOfFailedAttempts: 5,
      });
    }
    expect((await app.gql(VERIFY, { totp: code() }, auth)).data.verifyTotp).toEqual({
      __typename: "LimitReachedError",
      status: "LIMIT_REACHED_ERROR",
      retryAfterMs: 900_000,
    });
    app.clock.advance(300);
    expect((await app.gql(VERIFY, { totp: code() }, auth)).data.verifyTotp.retryAfterMs).toBe(600_000);
    app.clock.advance(600);
    const refreshed = await app.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { ... on RefreshSessionOk { session { accessToken } } } }`, {
      t: session.refreshToken,
    });
    auth = bearer(refreshed.data.refreshSession.session.accessToken); // 15 minutes passed: a new access token
    expect((await app.gql(VERIFY, { totp: "000000" === code() ? "111111" : "000000" }, auth)).data.verifyTotp.__typename).toBe("InvalidTotpError");
    expect((await app.gql(VERIFY, { totp: code() }, auth)).data.verifyTotp.retryAfterMs).toBe(1_800_000);
  });

  it("answers UnknownUserIdError without a verified device, and UnauthorisedError without a session", async () => {
    const { session } = await signUp(app, "no-device@example.com");
    expect((await app.gql(VERIFY, { totp: "123456" }, bearer(session.accessToken))).data.verifyTotp).toEqual({
      __typename: "UnknownUserIdError",
      status: "UNKNOWN_USER_ID_ERROR",
    });
    expect((await app.gql(VERIFY, { totp: "123456" })).data.verifyTotp.__typename).toBe("UnauthorisedError");
    expect((await app.gql(CREATE, {})).data.createTotpDevice.__typename).toBe("UnauthorisedError");
    expect((await app.gql(VERIFY_DEVICE, { name: "x", totp: "123456" })).data.verifyTotpDevice.__typename).toBe("UnauthorisedError");
    expect((await app.gql(REMOVE, { name: "x" })).data.removeTotpDevice.__typename).toBe("UnauthorisedError");
    expect((await app.gql(DEVICES)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("removes a device only from an elevated session; a code elevates it", async () => {
    const { auth, code, deviceName } = await userWithDevice("remove-totp@example.com");
    app.clock.advance(301);
    expect((await app.gql(REMOVE, { name: deviceName }, auth)).data.removeTotpDevice).toEqual({
      __typename: "ElevationRequiredError",
      status: "ELEVATION_REQUIRED",
    });
    expect((await app.gql(VERIFY, { totp: code() }, auth)).data.verifyTotp.__typename).toBe("VerifyTotpOk");
    expect((await app.gql(REMOVE, { name: deviceName }, auth)).data.removeTotpDevice).toEqual({
      __typename: "RemoveTotpDeviceOk",
      status: "OK",
      didDeviceExist: true,
    });
    expect((await app.gql(REMOVE, { name: deviceName }, auth)).data.removeTotpDevice.didDeviceExist).toBe(false);
    expect((await app.gql(DEVICES, {}, auth)).data.totpDevices).toEqual([]);
  });
});

const SIGN_IN_MFA = `mutation($email: String!, $password: String!) { signInEmailPassword(email: $email, password: $password) {
  __typename ... on AuthResult { status } ... on MfaRequired { ticket factors } ... on SignInEmailPasswordOk { session { accessToken } } } }`;
const MFA_TOTP = `mutation($ticket: String!, $totp: String!) { verifySignInMfaTotp(ticket: $ticket, totp: $totp) {
  __typename ... on AuthResult { status } ... on VerifySignInMfaTotpOk { user { email activeMfaType } session { accessToken refreshToken } }
  ... on InvalidTotpError { currentNumberOfFailedAttempts } } }`;

describe.each(DATABASES)("multi-factor sign-in with TOTP (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  async function enrol(email: string) {
    const { session } = await signUp(app, email);
    const auth = bearer(session.accessToken);
    const created = (await app.gql(CREATE, {}, auth)).data.createTotpDevice;
    const totp = URI.parse(created.qrCodeString) as TOTP; // as an authenticator app would read the QR code
    const code = () => totp.generate({ timestamp: app.clock.now().getTime() });
    await app.gql(VERIFY_DEVICE, { name: created.deviceName, totp: code() }, auth);
    await app.gql(`mutation { signOut { __typename } }`, {}, auth);
    app.clock.advance(30);
    return { code, deviceName: created.deviceName as string };
  }

  it("asks for a code after the password, then opens the session with the ticket once", async () => {
    const { code } = await enrol("mfa@example.com");
    const first = (await app.gql(SIGN_IN_MFA, { email: "mfa@example.com", password: PASSWORD })).data.signInEmailPassword;
    expect(first).toMatchObject({ __typename: "MfaRequired", status: "MFA_REQUIRED", factors: ["totp"] });
    expect(first.session).toBeUndefined();
    const wrong = await app.gql(MFA_TOTP, { ticket: first.ticket, totp: "000000" === code() ? "111111" : "000000" });
    expect(wrong.data.verifySignInMfaTotp).toMatchObject({ __typename: "InvalidTotpError", currentNumberOfFailedAttempts: 1 });
    const { data } = await app.gql(MFA_TOTP, { ticket: first.ticket, totp: code() });
    expect(data.verifySignInMfaTotp).toMatchObject({
      __typename: "VerifySignInMfaTotpOk",
      status: "OK",
      user: { email: "mfa@example.com", activeMfaType: "totp" },
    });
    expect((await app.gql(`{ me { email } }`, {}, bearer(data.verifySignInMfaTotp.session.accessToken))).data.me.email).toBe("mfa@example.com");
    app.clock.advance(30);
    expect((await app.gql(MFA_TOTP, { ticket: first.ticket, totp: code() })).data.verifySignInMfaTotp).toEqual({
      __typename: "InvalidTicketError",
      status: "INVALID_TICKET_ERROR",
    });
  });

  it("refuses an expired or made-up ticket", async () => {
    const { code } = await enrol("mfa-late@example.com");
    const { ticket } = (await app.gql(SIGN_IN_MFA, { email: "mfa-late@example.com", password: PASSWORD })).data.signInEmailPassword;
    app.clock.advance(301);
    expect((await app.gql(MFA_TOTP, { ticket, totp: code() })).data.verifySignInMfaTotp.__typename).toBe("InvalidTicketError");
    expect((await app.gql(MFA_TOTP, { ticket: "made-up", totp: code() })).data.verifySignInMfaTotp.__typename).toBe("InvalidTicketError");
  });

  it("applies to passwordless sign-ins too", async () => {
    await enrol("mfa-otp@example.com");
    await app.gql(`mutation($t: String!) { verifyEmail(token: $t) { __typename } }`, { t: await emailedToken(app, "mfa-otp@example.com") });
    const flow = (await app.gql(`mutation { createCode(email: "mfa-otp@example.com") { ... on CreateCodeOk { deviceId preAuthSessionId } } }`)).data.createCode;
    const otp = /code is (\d+)/.exec(app.outbox.last("mfa-otp@example.com")!.text)![1];
    const { data } = await app.gql(
      `mutation($p: String!, $d: String!, $c: String!) { consumeCode(preAuthSessionId: $p, deviceId: $d, userInputCode: $c) { __typename ... on MfaRequired { ticket factors } } }`,
      { p: flow.preAuthSessionId, d: flow.deviceId, c: otp },
    );
    expect(data.consumeCode).toMatchObject({ __typename: "MfaRequired", factors: ["totp"] });
  });

  it("turns off when the last verified device is removed", async () => {
    const { deviceName } = await enrol("mfa-off@example.com");
    const { ticket } = (await app.gql(SIGN_IN_MFA, { email: "mfa-off@example.com", password: PASSWORD })).data.signInEmailPassword;
    const device = await app.auth.deps.prisma.totpDevice.findFirst({ where: { name: deviceName, user: { email: "mfa-off@example.com" } } });
    const secret = app.auth.deps.encrypter.open(device!.secretEncrypted);
    const totp = new TOTP({ secret: Secret.fromBase32(secret) });
    const signedIn = (await app.gql(MFA_TOTP, { ticket, totp: totp.generate({ timestamp: app.clock.now().getTime() }) })).data.verifySignInMfaTotp;
    const auth = bearer(signedIn.session.accessToken);
    expect((await app.gql(REMOVE, { name: deviceName }, auth)).data.removeTotpDevice.didDeviceExist).toBe(true);
    expect((await app.gql(`{ me { activeMfaType } }`, {}, auth)).data.me.activeMfaType).toBeNull();
    expect((await app.gql(SIGN_IN_MFA, { email: "mfa-off@example.com", password: PASSWORD })).data.signInEmailPassword.__typename).toBe(
      "SignInEmailPasswordOk",
    );
  });
});

describe.each(DATABASES)("recovery codes (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  const GENERATE = `mutation { generateRecoveryCodes { __typename ... on AuthResult { status } ... on GenerateRecoveryCodesOk { codes } } }`;
  const RECOVER = `mutation($ticket: String!, $code: String!) { verifySignInMfaRecoveryCode(ticket: $ticket, code: $code) {
    __typename ... on AuthResult { status } ... on VerifySignInMfaRecoveryCodeOk { session { accessToken } } ... on LimitReachedError { retryAfterMs } } }`;

  it("signs in with a recovery code once each; a new set replaces the old one", async () => {
    const { session } = await signUp(app, "recovery@example.com");
    const auth = bearer(session.accessToken);
    const created = (await app.gql(CREATE, {}, auth)).data.createTotpDevice;
    const totp = URI.parse(created.qrCodeString) as TOTP;
    await app.gql(VERIFY_DEVICE, { name: created.deviceName, totp: totp.generate({ timestamp: app.clock.now().getTime() }) }, auth);
    const generated = (await app.gql(GENERATE, {}, auth)).data.generateRecoveryCodes;
    expect(generated).toMatchObject({ __typename: "GenerateRecoveryCodesOk", status: "OK" });
    expect(generated.codes).toHaveLength(10);
    expect(new Set(generated.codes).size).toBe(10);
    expect((await app.gql(`{ me { recoveryCodesRemaining } }`, {}, auth)).data.me.recoveryCodesRemaining).toBe(10);
    const stored = await app.auth.deps.prisma.recoveryCode.findMany();
    for (const row of stored) for (const code of generated.codes) expect(row.codeHash).not.toContain(code.replace(/-/g, ""));

    const signIn = async () => (await app.gql(SIGN_IN_MFA, { email: "recovery@example.com", password: PASSWORD })).data.signInEmailPassword;
    const first = await signIn();
    expect(first.factors).toEqual(["totp", "recoveryCode"]);
    const used = generated.codes[0];
    const { data } = await app.gql(RECOVER, { ticket: first.ticket, code: ` ${used.toUpperCase()} ` });
    expect(data.verifySignInMfaRecoveryCode).toMatchObject({ __typename: "VerifySignInMfaRecoveryCodeOk", status: "OK" });
    const newAuth = bearer(data.verifySignInMfaRecoveryCode.session.accessToken);
    expect((await app.gql(`{ me { recoveryCodesRemaining } }`, {}, newAuth)).data.me.recoveryCodesRemaining).toBe(9);

    const second = await signIn();
    expect((await app.gql(RECOVER, { ticket: second.ticket, code: used })).data.verifySignInMfaRecoveryCode).toEqual({
      __typename: "InvalidRecoveryCodeError",
      status: "INVALID_RECOVERY_CODE_ERROR",
    });
    expect((await app.gql(RECOVER, { ticket: "made-up", code: generated.codes[1] })).data.verifySignInMfaRecoveryCode.__typename).toBe("InvalidTicketError");

    const renewed = (await app.gql(GENERATE, {}, newAuth)).data.generateRecoveryCodes.codes;
    expect((await app.gql(RECOVER, { ticket: second.ticket, code: generated.codes[1] })).data.verifySignInMfaRecoveryCode.__typename).toBe(
      "InvalidRecoveryCodeError",
    );
    expect((await app.gql(RECOVER, { ticket: second.ticket, code: renewed[0] })).data.verifySignInMfaRecoveryCode.__typename).toBe(
      "VerifySignInMfaRecoveryCodeOk",
    );
  });

  it("counts wrong recovery codes towards the TOTP lock, and needs elevation to generate", async () => {
    const { session } = await signUp(app, "recovery-lock@example.com");
    const auth = bearer(session.accessToken);
    const created = (await app.gql(CREATE, {}, auth)).data.createTotpDevice;
    const totp = URI.parse(created.qrCodeString) as TOTP;
    await app.gql(VERIFY_DEVICE, { name: created.deviceName, totp: totp.generate({ timestamp: app.clock.now().getTime() }) }, auth);
    const { ticket } = (await app.gql(SIGN_IN_MFA, { email: "recovery-lock@example.com", password: PASSWORD })).data.signInEmailPassword;
    for (let i = 0; i < 5; i++) {
      expect((await app.gql(RECOVER, { ticket, code: `wrong-${i}` })).data.verifySignInMfaRecoveryCode.__typename).toBe("InvalidRecoveryCodeError");
    }
    expect((await app.gql(RECOVER, { ticket, code: "wrong-again" })).data.verifySignInMfaRecoveryCode).toMatchObject({
      __typename: "LimitReachedError",
      retryAfterMs: 900_000,
    });
    app.clock.advance(301);
    expect((await app.gql(GENERATE, {}, auth)).data.generateRecoveryCodes).toEqual({ __typename: "ElevationRequiredError", status: "ELEVATION_REQUIRED" });
    expect((await app.gql(GENERATE)).data.generateRecoveryCodes.__typename).toBe("UnauthorisedError");
  });
});

describe.each(DATABASES)("second factors and the account's failed sign-ins (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    // A TOTP limit above the account's, so the account's limit (10) is the one reached.
    app = await startApp(kind, { env: { TOTP_MAX_ATTEMPTS: "50" } });
  });
  afterAll(() => app?.close());

  it("counts wrong codes against the account too: guessing codes locks the password, a right code clears both", async () => {
    const { session } = await signUp(app, "every-pathway@example.com");
    const auth = bearer(session.accessToken);
    const created = (await app.gql(CREATE, {}, auth)).data.createTotpDevice;
    const totp = URI.parse(created.qrCodeString) as TOTP;
    await app.gql(VERIFY_DEVICE, { name: created.deviceName, totp: totp.generate({ timestamp: app.clock.now().getTime() }) }, auth);
    const { ticket } = (await app.gql(SIGN_IN_MFA, { email: "every-pathway@example.com", password: PASSWORD })).data.signInEmailPassword;
    const MFA = `mutation($ticket: String!, $totp: String!) { verifySignInMfaTotp(ticket: $ticket, totp: $totp) { __typename ... on LimitReachedError { retryAfterMs } } }`;
    for (let i = 0; i < 10; i++) expect((await app.gql(MFA, { ticket, totp: "000000" })).data.verifySignInMfaTotp.__typename).toBe("InvalidTotpError");
    expect((await app.gql(MFA, { ticket, totp: "000000" })).data.verifySignInMfaTotp.__typename).toBe("LimitReachedError");
    const password = (await app.gql(SIGN_IN_MFA, { email: "every-pathway@example.com", password: PASSWORD })).data.signInEmailPassword;
    expect(password.__typename).toBe("LimitReachedError");
    app.clock.advance(31); // the account's first lock is 30 s
    app.clock.advance(30); // and a new TOTP step, so the next code is fresh
    const code = totp.generate({ timestamp: app.clock.now().getTime() });
    expect((await app.gql(MFA, { ticket, totp: code })).data.verifySignInMfaTotp.__typename).toBe("VerifySignInMfaTotpOk");
    expect((await app.gql(SIGN_IN_MFA, { email: "every-pathway@example.com", password: PASSWORD })).data.signInEmailPassword.__typename).toBe("MfaRequired");
  });
});
