import { type TOTP, URI } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, SESSION_FIELDS, bearer, emailedToken, signUp, startApp, tableCounts, type TestApp } from "./helpers.js";
import { SoftAuthenticator } from "./webauthn-authenticator.js";

const ORIGIN = "http://app.test"; // CLIENT_URL of the test apps: RP ID app.test by default

const STATUS = `__typename ... on AuthResult { status } ... on AuthError { message }`;
const RESULT = `${STATUS} ... on InvalidInputError { fieldErrors { id error } }`;
const SIGN_UP_OPTIONS = `mutation($email: String!, $options: SignUpOptions) { webauthnSignUpOptions(email: $email, options: $options) {
  ${RESULT} ... on WebauthnOptionsOk { options } } }`;
const SIGN_UP = `mutation($credential: JSON!, $nickname: String) { webauthnSignUp(credential: $credential, nickname: $nickname) {
  ${RESULT} ... on WebauthnSignUpOk { user { id email displayName loginMethods { recipeId } } ${SESSION_FIELDS} } } }`;
const SIGN_IN_OPTIONS = `mutation($email: String) { webauthnSignInOptions(email: $email) { ${RESULT} ... on WebauthnOptionsOk { options } } }`;
const SIGN_IN = `mutation($credential: JSON!) { webauthnSignIn(credential: $credential) {
  ${RESULT} ... on WebauthnSignInOk { user { id email } ${SESSION_FIELDS} } ... on MfaRequired { ticket factors } } }`;
const ADD_OPTIONS = `mutation { addSecurityKeyOptions { ${STATUS} ... on WebauthnOptionsOk { options } } }`;
const ADD = `mutation($credential: JSON!, $nickname: String) { addSecurityKey(credential: $credential, nickname: $nickname) {
  ${RESULT} ... on AddSecurityKeyOk { id nickname } } }`;
const KEYS = `{ securityKeys { id nickname credentialId transports deviceType backedUp createdAt lastUsedAt } }`;
const REMOVE = `mutation($id: ID!) { removeSecurityKey(id: $id) { ${STATUS} ... on RemoveSecurityKeyOk { didExist } } }`;
const ELEVATE_OPTIONS = `mutation { elevateWebauthnOptions { ${STATUS} ... on WebauthnOptionsOk { options } } }`;
const ELEVATE = `mutation($credential: JSON!) { elevateWebauthn(credential: $credential) { ${RESULT} ... on ElevateOk { ${SESSION_FIELDS} } } }`;

describe.each(DATABASES)("WebAuthn passkeys (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  const signUpOptions = async (email: string, on = app) => (await on.gql(SIGN_UP_OPTIONS, { email })).data.webauthnSignUpOptions;
  const signInOptions = async (email?: string, on = app) => (await on.gql(SIGN_IN_OPTIONS, { email })).data.webauthnSignInOptions.options;
  const signIn = async (credential: unknown, on = app) => (await on.gql(SIGN_IN, { credential })).data.webauthnSignIn;

  /** A new user signed up with a passkey on `authenticator`. */
  async function passkeyUser(email: string, authenticator = new SoftAuthenticator({ origin: ORIGIN }), on = app) {
    const { options } = await signUpOptions(email, on);
    const result = (await on.gql(SIGN_UP, { credential: authenticator.create(options) })).data.webauthnSignUp;
    expect(result.__typename).toBe("WebauthnSignUpOk");
    return { authenticator, user: result.user, session: result.session, auth: bearer(result.session.accessToken) };
  }

  it("signs a new user up with a passkey, then in with their email and with a discoverable passkey", async () => {
    const authenticator = new SoftAuthenticator({ origin: ORIGIN });
    const started = await signUpOptions("Pass.Key@Example.com");
    expect(started.__typename).toBe("WebauthnOptionsOk");
    const { options } = started;
    expect(options).toMatchObject({ rp: { id: "app.test" }, user: { name: "pass.key@example.com" }, attestation: "none" });
    expect(options.pubKeyCredParams.map((param: { alg: number }) => param.alg)).toEqual(expect.arrayContaining([-7, -8]));

    const signedUp = (await app.gql(SIGN_UP, { credential: authenticator.create(options), nickname: "Laptop" })).data.webauthnSignUp;
    expect(signedUp.__typename).toBe("WebauthnSignUpOk");
    expect(signedUp.user).toMatchObject({ email: "pass.key@example.com", loginMethods: [{ recipeId: "webauthn" }] });
    // The user handle in the options is the new user's id.
    expect(Buffer.from(options.user.id, "base64url").toString("hex")).toBe(signedUp.user.id.replace(/-/g, ""));
    const keys = (await app.gql(KEYS, {}, bearer(signedUp.session.accessToken))).data.securityKeys;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ nickname: "Laptop", transports: ["internal", "hybrid"], deviceType: "singleDevice", backedUp: false, lastUsedAt: null });

    const withEmail = await signInOptions("pass.key@example.com");
    expect(withEmail.allowCredentials).toEqual([{ id: keys[0].credentialId, type: "public-key", transports: ["internal", "hybrid"] }]);
    const signedIn = await signIn(authenticator.get(withEmail));
    expect(signedIn).toMatchObject({ __typename: "WebauthnSignInOk", user: { id: signedUp.user.id } });
    expect((await app.gql(`{ me { id } }`, {}, bearer(signedIn.session.accessToken))).data.me.id).toBe(signedUp.user.id);

    const discoverable = await signInOptions();
    expect(discoverable.allowCredentials).toEqual([]);
    expect(await signIn(authenticator.get(discoverable))).toMatchObject({ __typename: "WebauthnSignInOk", user: { id: signedUp.user.id } });
    const [used] = (await app.gql(KEYS, {}, bearer(signedIn.session.accessToken))).data.securityKeys;
    expect(used.lastUsedAt).not.toBeNull();
  });

  it("accepts Ed25519 keys with packed self attestation, and synced passkeys", async () => {
    const authenticator = new SoftAuthenticator({ origin: ORIGIN, alg: "Ed25519", attestation: "packed", backupEligible: true });
    const { auth } = await passkeyUser("ed25519@example.com", authenticator);
    expect((await app.gql(KEYS, {}, auth)).data.securityKeys[0]).toMatchObject({ deviceType: "multiDevice", backedUp: true });
    expect((await signIn(authenticator.get(await signInOptions("ed25519@example.com")))).__typename).toBe("WebauthnSignInOk");
    const es256 = new SoftAuthenticator({ origin: ORIGIN, attestation: "packed" });
    await passkeyUser("packed-es256@example.com", es256);
    expect((await signIn(es256.get(await signInOptions()))).__typename).toBe("WebauthnSignInOk");
  });

  it("refuses sign-up options for a taken email or bad input", async () => {
    await signUp(app, "taken-passkey@example.com");
    expect((await signUpOptions("Taken-Passkey@example.com")).__typename).toBe("EmailAlreadyExistsError");
    const bad = await signUpOptions("not an email");
    expect(bad).toMatchObject({ __typename: "InvalidInputError", fieldErrors: [{ id: "email" }] });
  });

  it("refuses a response to another, a reused or an expired challenge", async () => {
    const authenticator = new SoftAuthenticator({ origin: ORIGIN });
    const { options } = await signUpOptions("challenges@example.com");
    const forged = authenticator.create(options, { challenge: Buffer.alloc(32, 7).toString("base64url") });
    expect((await app.gql(SIGN_UP, { credential: forged })).data.webauthnSignUp.__typename).toBe("InvalidChallengeError");
    const credential = authenticator.create(options);
    expect((await app.gql(SIGN_UP, { credential })).data.webauthnSignUp.__typename).toBe("WebauthnSignUpOk");
    expect((await app.gql(SIGN_UP, { credential })).data.webauthnSignUp.__typename).toBe("InvalidChallengeError");

    const request = await signInOptions("challenges@example.com");
    const assertion = authenticator.get(request);
    expect((await signIn(assertion)).__typename).toBe("WebauthnSignInOk");
    expect((await signIn(assertion)).__typename).toBe("InvalidChallengeError");

    const late = await signInOptions("challenges@example.com");
    app.clock.advance(301); // WEBAUTHN_TIMEOUT is 5 minutes
    expect((await signIn(authenticator.get(late))).__typename).toBe("InvalidChallengeError");
    // A sign-up challenge does not answer a sign-in.
    const other = await signUpOptions("someone-else@example.com");
    expect((await signIn(authenticator.get({ ...late, challenge: other.options.challenge }))).__typename).toBe("InvalidChallengeError");
  });

  it("uses each challenge once when the same assertion arrives in parallel", async () => {
    const { authenticator } = await passkeyUser("parallel-passkey@example.com");
    const assertion = authenticator.get(await signInOptions("parallel-passkey@example.com"));
    const results = await Promise.all(Array.from({ length: 8 }, () => signIn(assertion)));
    expect(results.filter((result) => result.__typename === "WebauthnSignInOk")).toHaveLength(1);
    expect(new Set(results.filter((result) => result.__typename !== "WebauthnSignInOk").map((result) => result.__typename))).toEqual(
      new Set(["InvalidChallengeError"]),
    );
  });

  it("refuses a wrong origin, a wrong RP ID, a missing user-presence flag and a changed backup flag", async () => {
    const { authenticator } = await passkeyUser("checks@example.com");
    const cases = [{ origin: "http://evil.test" }, { rpId: "evil.test" }, { up: false }, { backupEligible: true }, { type: "webauthn.create" }];
    for (const overrides of cases) {
      const result = await signIn(authenticator.get(await signInOptions("checks@example.com"), overrides));
      expect(result.__typename, JSON.stringify(overrides)).toBe("InvalidCredentialError");
    }
    for (const overrides of [{ origin: "http://evil.test" }, { rpId: "evil.test" }, { up: false }]) {
      const { options } = await signUpOptions("never-created@example.com");
      const result = (await app.gql(SIGN_UP, { credential: authenticator.create(options, overrides) })).data.webauthnSignUp;
      expect(result.__typename, JSON.stringify(overrides)).toBe("InvalidCredentialError");
    }
    expect(await app.auth.deps.accounts.byEmail("public", "never-created@example.com")).toBeNull();
  });

  it("refuses a counter that goes backwards as a cloned key and records it; counterless keys keep working", async () => {
    const { authenticator, user } = await passkeyUser("clone@example.com");
    expect((await signIn(authenticator.get(await signInOptions("clone@example.com")))).__typename).toBe("WebauthnSignInOk");
    expect((await signIn(authenticator.get(await signInOptions("clone@example.com")))).__typename).toBe("WebauthnSignInOk");
    const cloned = await signIn(authenticator.get(await signInOptions("clone@example.com"), { counter: 1 }));
    expect(cloned).toMatchObject({ __typename: "InvalidCredentialError", message: expect.stringContaining("cloned") });
    const events = await app.auth.deps.prisma.auditEvent.findMany({ where: { userId: user.id, type: "security_key.counter_regressed" } });
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ storedCounter: 2, presentedCounter: 1 });

    const counterless = new SoftAuthenticator({ origin: ORIGIN, counterless: true });
    await passkeyUser("counterless@example.com", counterless);
    for (let i = 0; i < 2; i++) expect((await signIn(counterless.get(await signInOptions("counterless@example.com")))).__typename).toBe("WebauthnSignInOk");
  });

  it("binds a passkey to its user: user handles, the email's challenge and credential IDs registered once", async () => {
    const alice = await passkeyUser("alice-key@example.com");
    const bob = await passkeyUser("bob-key@example.com");
    // A discoverable sign-in must return the credential's own user handle.
    const handle = Buffer.from(bob.user.id.replace(/-/g, ""), "hex").toString("base64url");
    expect((await signIn(alice.authenticator.get(await signInOptions(), { userHandle: handle }))).__typename).toBe("InvalidCredentialError");
    expect((await signIn(alice.authenticator.get(await signInOptions(), { userHandle: null }))).__typename).toBe("InvalidCredentialError");
    // A challenge for Bob's email does not sign Alice in.
    const forBob = await signInOptions("bob-key@example.com");
    const aliceKey = Buffer.from(alice.authenticator.keys[0]!.id).toString("base64url");
    expect((await signIn(alice.authenticator.get(forBob, { credentialId: aliceKey }))).__typename).toBe("UnknownCredentialError");
    // Alice's key cannot be registered again, to Bob or to a new user.
    const options = (await app.gql(ADD_OPTIONS, {}, bob.auth)).data.addSecurityKeyOptions.options;
    expect(options.excludeCredentials.map((credential: { id: string }) => credential.id)).toEqual([
      Buffer.from(bob.authenticator.keys[0]!.id).toString("base64url"),
    ]);
    const again = (await app.gql(ADD, { credential: bob.authenticator.create(options, { key: alice.authenticator.keys[0] }) }, bob.auth)).data.addSecurityKey;
    expect(again).toMatchObject({ __typename: "InvalidCredentialError", message: "This credential is registered already" });
    const fresh = await signUpOptions("carol-key@example.com");
    const stolen = (await app.gql(SIGN_UP, { credential: alice.authenticator.create(fresh.options, { key: alice.authenticator.keys[0] }) })).data
      .webauthnSignUp;
    expect(stolen.__typename).toBe("InvalidCredentialError");
    expect(await app.auth.deps.accounts.byEmail("public", "carol-key@example.com")).toBeNull();
  });

  it("answers an unknown email like a known one, and never signs it in", async () => {
    const first = await signInOptions("nobody-passkey@example.com");
    const second = await signInOptions("nobody-passkey@example.com");
    expect(first.allowCredentials).toHaveLength(1);
    expect(second.allowCredentials).toEqual(first.allowCredentials);
    expect(first.challenge).not.toBe(second.challenge);
    const { authenticator } = await passkeyUser("somebody-passkey@example.com");
    const key = Buffer.from(authenticator.keys[0]!.id).toString("base64url");
    expect((await signIn(authenticator.get(first, { credentialId: key }))).__typename).toBe("UnknownCredentialError");
  });

  it("adds, lists and removes security keys on an elevated session", async () => {
    const { session, user } = await signUp(app, "keys@example.com");
    const auth = bearer(session.accessToken);
    const key = new SoftAuthenticator({ origin: ORIGIN });
    const options = (await app.gql(ADD_OPTIONS, {}, auth)).data.addSecurityKeyOptions.options;
    expect(options.user.name).toBe("keys@example.com");
    const added = (await app.gql(ADD, { credential: key.create(options), nickname: "YubiKey" }, auth)).data.addSecurityKey;
    expect(added).toMatchObject({ __typename: "AddSecurityKeyOk", nickname: "YubiKey" });
    const me = (await app.gql(`{ me { securityKeys { id nickname } loginMethods { recipeId } } }`, {}, auth)).data.me;
    expect(me.securityKeys).toEqual([{ id: added.id, nickname: "YubiKey" }]);
    expect(me.loginMethods.map((method: { recipeId: string }) => method.recipeId)).toEqual(["emailpassword", "webauthn"]);
    // The password user can now sign in with the key.
    expect(await signIn(key.get(await signInOptions("keys@example.com")))).toMatchObject({ __typename: "WebauthnSignInOk", user: { id: user.id } });

    expect((await app.gql(ADD_OPTIONS)).data.addSecurityKeyOptions.__typename).toBe("UnauthorisedError");
    expect((await app.gql(KEYS)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    app.clock.advance(301);
    expect((await app.gql(ADD_OPTIONS, {}, auth)).data.addSecurityKeyOptions.__typename).toBe("ElevationRequiredError");
    expect((await app.gql(REMOVE, { id: added.id }, auth)).data.removeSecurityKey.__typename).toBe("ElevationRequiredError");
    const fresh = bearer((await signIn(key.get(await signInOptions("keys@example.com")))).session.accessToken);
    expect((await app.gql(REMOVE, { id: added.id }, fresh)).data.removeSecurityKey).toEqual({
      __typename: "RemoveSecurityKeyOk",
      status: "OK",
      didExist: true,
    });
    expect((await app.gql(REMOVE, { id: added.id }, fresh)).data.removeSecurityKey.didExist).toBe(false);
    expect((await app.gql(KEYS, {}, fresh)).data.securityKeys).toEqual([]);
    const methods = (await app.gql(`{ me { loginMethods { recipeId } } }`, {}, fresh)).data.me.loginMethods;
    expect(methods).toEqual([{ recipeId: "emailpassword" }]);
    expect((await signIn(key.get(await signInOptions(), { credentialId: Buffer.from(key.keys[0]!.id).toString("base64url") }))).__typename).toBe(
      "UnknownCredentialError",
    );
  });

  it("elevates a session with a fresh assertion, replacing it with a new session", async () => {
    const { authenticator, auth, session } = await passkeyUser("elevate@example.com");
    app.clock.advance(301);
    const CREATE_PAT = `mutation($at: DateTime!) { createPersonalAccessToken(expiresAt: $at) { __typename } }`;
    const expiresAt = () => new Date(app.clock.now().getTime() + 86_400_000).toISOString();
    expect((await app.gql(CREATE_PAT, { at: expiresAt() }, auth)).data.createPersonalAccessToken.__typename).toBe("ElevationRequiredError");
    const options = (await app.gql(ELEVATE_OPTIONS, {}, auth)).data.elevateWebauthnOptions.options;
    expect(options.allowCredentials).toHaveLength(1);
    const elevated = (await app.gql(ELEVATE, { credential: authenticator.get(options) }, auth)).data.elevateWebauthn;
    expect(elevated.__typename).toBe("ElevateOk");
    expect(elevated.session.refreshTokenId).not.toBe(session.refreshTokenId);
    const fresh = bearer(elevated.session.accessToken);
    expect((await app.gql(CREATE_PAT, { at: expiresAt() }, fresh)).data.createPersonalAccessToken.__typename).toBe("CreatePersonalAccessTokenOk");
    expect((await app.gql(`{ me { id } }`, {}, auth)).data.me).toBeNull(); // the replaced session ended

    // A challenge handed to one session does not elevate another.
    const other = bearer((await signIn(authenticator.get(await signInOptions("elevate@example.com")))).session.accessToken);
    const forFresh = (await app.gql(ELEVATE_OPTIONS, {}, fresh)).data.elevateWebauthnOptions.options;
    expect((await app.gql(ELEVATE, { credential: authenticator.get(forFresh) }, other)).data.elevateWebauthn.__typename).toBe("InvalidChallengeError");
    expect((await app.gql(ELEVATE, { credential: authenticator.get(forFresh) })).data.elevateWebauthn.__typename).toBe("UnauthorisedError");

    const { session: passwordSession } = await signUp(app, "no-keys@example.com");
    const noKeys = (await app.gql(ELEVATE_OPTIONS, {}, bearer(passwordSession.accessToken))).data.elevateWebauthnOptions;
    expect(noKeys.__typename).toBe("UnknownCredentialError");
  });

  it("asks for the second factor when the passkey did not verify the user", async () => {
    const { authenticator, auth } = await passkeyUser("mfa-passkey@example.com");
    const created = (await app.gql(`mutation { createTotpDevice { ... on CreateTotpDeviceOk { deviceName qrCodeString } } }`, {}, auth)).data.createTotpDevice;
    const totp = URI.parse(created.qrCodeString) as TOTP;
    const code = totp.generate({ timestamp: app.clock.now().getTime() });
    const verified = await app.gql(
      `mutation($n: String!, $c: String!) { verifyTotpDevice(deviceName: $n, totp: $c) { __typename } }`,
      { n: created.deviceName, c: code },
      auth,
    );
    expect(verified.data.verifyTotpDevice.__typename).toBe("VerifyTotpDeviceOk");
    const withoutUv = await signIn(authenticator.get(await signInOptions("mfa-passkey@example.com"), { uv: false }));
    expect(withoutUv).toMatchObject({ __typename: "MfaRequired", factors: ["totp"] });
    expect((await signIn(authenticator.get(await signInOptions("mfa-passkey@example.com")))).__typename).toBe("WebauthnSignInOk");
  });

  it("refuses malformed credentials with InvalidInputError and changes nothing", async () => {
    const before = await tableCounts(app);
    for (const credential of [
      null,
      "text",
      [],
      { id: "x" },
      { id: "!!", type: "public-key", response: {} },
      { id: "abc", type: "public-key", response: { clientDataJSON: 1 } },
    ]) {
      const { data, errors } = await app.gql(SIGN_IN, { credential });
      const result = data?.webauthnSignIn;
      expect(errors ?? result.__typename, JSON.stringify(credential)).toSatisfy((value: unknown) => Array.isArray(value) || value === "InvalidInputError");
    }
    const garbage = { id: "abc", type: "public-key", response: { clientDataJSON: "bm90IGpzb24", authenticatorData: "", signature: "" } };
    expect((await signIn(garbage)).__typename).toBe("InvalidChallengeError");
    const huge = { id: "abc", type: "public-key", response: { clientDataJSON: "a".repeat(70_000), attestationObject: "" } };
    expect((await app.gql(SIGN_UP, { credential: huge })).data.webauthnSignUp.__typename).toBe("InvalidInputError");
    expect(await tableCounts(app)).toEqual(before);
  });

  it("refuses a disabled user", async () => {
    const { authenticator, user } = await passkeyUser("disabled-passkey@example.com");
    await app.auth.deps.prisma.user.update({ where: { id: user.id }, data: { disabled: true } });
    expect((await signIn(authenticator.get(await signInOptions("disabled-passkey@example.com")))).__typename).toBe("UserDisabledError");
  });

  it("lists webauthn among the first factors", async () => {
    expect((await app.gql(`{ authConfig { firstFactors } }`)).data.authConfig.firstFactors).toContain("webauthn");
  });
});

describe.each(DATABASES)("WebAuthn with user verification required (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, {
      env: {
        EMAIL_VERIFICATION: "required",
        WEBAUTHN_USER_VERIFICATION: "required",
        WEBAUTHN_RP_ID: "example.test",
        WEBAUTHN_ORIGINS: "https://login.example.test,https://example.test",
      },
    });
  });
  afterAll(() => app?.close());

  it("refuses keys that did not verify the user, and follows the configured RP ID and origins", async () => {
    const authenticator = new SoftAuthenticator({ origin: "https://login.example.test" });
    const { options } = (await app.gql(SIGN_UP_OPTIONS, { email: "uv@example.com" })).data.webauthnSignUpOptions;
    expect(options.rp.id).toBe("example.test");
    expect(options.authenticatorSelection.userVerification).toBe("required");
    const withoutUv = (await app.gql(SIGN_UP, { credential: authenticator.create(options, { uv: false }) })).data.webauthnSignUp;
    expect(withoutUv.__typename).toBe("InvalidCredentialError");
    const again = (await app.gql(SIGN_UP_OPTIONS, { email: "uv@example.com" })).data.webauthnSignUpOptions.options;
    const signedUp = (await app.gql(SIGN_UP, { credential: authenticator.create(again) })).data.webauthnSignUp;
    expect(signedUp).toMatchObject({ __typename: "WebauthnSignUpOk", session: null }); // EMAIL_VERIFICATION=required
    const request = async () => (await app.gql(SIGN_IN_OPTIONS, { email: "uv@example.com" })).data.webauthnSignInOptions.options;
    expect((await app.gql(SIGN_IN, { credential: authenticator.get(await request()) })).data.webauthnSignIn.__typename).toBe("EmailNotVerifiedError");
    const verified = await app.gql(`mutation($t: String!) { verifyEmail(token: $t) { __typename } }`, { t: await emailedToken(app, "uv@example.com") });
    expect(verified.data.verifyEmail.__typename).toBe("VerifyEmailOk");
    expect((await app.gql(SIGN_IN, { credential: authenticator.get(await request(), { uv: false }) })).data.webauthnSignIn.__typename).toBe(
      "InvalidCredentialError",
    );
    const other = new SoftAuthenticator({ origin: "https://example.test" });
    other.keys.push(...authenticator.keys);
    expect((await app.gql(SIGN_IN, { credential: other.get(await request()) })).data.webauthnSignIn.__typename).toBe("WebauthnSignInOk");
  });
});
