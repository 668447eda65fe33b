/**
 * Parallel sign-ups through different recipes with one address end in one
 * account (or a clean refusal), never two users or a half-written one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, SIGN_UP, startApp, type TestApp } from "./helpers.js";
import { SoftAuthenticator } from "./webauthn-authenticator.js";

const CREATE_CODE = `mutation($email: String!) { createCode(email: $email) { ... on CreateCodeOk { deviceId preAuthSessionId } } }`;
const CONSUME = `mutation($preAuthSessionId: String!, $deviceId: String!, $userInputCode: String!) {
  consumeCode(preAuthSessionId: $preAuthSessionId, deviceId: $deviceId, userInputCode: $userInputCode) { __typename } }`;
const PASSKEY_OPTIONS = `mutation($email: String!) { webauthnSignUpOptions(email: $email) { __typename ... on WebauthnOptionsOk { options } } }`;
const PASSKEY_SIGN_UP = `mutation($credential: JSON!) { webauthnSignUp(credential: $credential) { __typename } }`;

describe.each(DATABASES)("parallel sign-ups with one address (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  /** A code flow started and its code read, ready to consume. */
  async function codeFor(email: string) {
    const flow = (await app.gql(CREATE_CODE, { email })).data.createCode;
    await app.auth.deps.idle();
    const code = /code is (\d+)/.exec(app.outbox.last(email)!.text)![1];
    return { ...flow, userInputCode: code };
  }

  /** A passkey registration ready to send (the options were handed out before the race). */
  async function passkeyFor(email: string) {
    const { options } = (await app.gql(PASSKEY_OPTIONS, { email })).data.webauthnSignUpOptions;
    return new SoftAuthenticator({ origin: "http://app.test" }).create(options);
  }

  async function expectOneWholeAccount(email: string) {
    const prisma = app.auth.deps.prisma;
    const users = await prisma.user.findMany({ where: { email }, include: { loginMethods: true, webauthnCredentials: true } });
    expect(users).toHaveLength(1);
    expect(users[0]!.loginMethods.length).toBeGreaterThan(0);
    // A webauthn login method always comes with its key, and a key with its login method.
    expect(users[0]!.loginMethods.some((method) => method.recipeId === "webauthn")).toBe(users[0]!.webauthnCredentials.length > 0);
  }

  it("password sign-up and passwordless sign-in race: one account", async () => {
    for (let round = 0; round < 4; round++) {
      const email = `race-pw-code-${round}@example.com`;
      const code = await codeFor(email);
      const [password, passwordless] = await Promise.all([app.gql(SIGN_UP, { email, password: PASSWORD }), app.gql(CONSUME, code)]);
      expect(["SignUpEmailPasswordOk", "EmailAlreadyExistsError"]).toContain(password.data.signUpEmailPassword.__typename);
      expect(passwordless.data.consumeCode.__typename).toBe("ConsumeCodeOk");
      await expectOneWholeAccount(email);
    }
  });

  it("passkey sign-up and password sign-up race: one account, never a user without its key", async () => {
    for (let round = 0; round < 4; round++) {
      const email = `race-key-pw-${round}@example.com`;
      const credential = await passkeyFor(email);
      const [passkey, password] = await Promise.all([app.gql(PASSKEY_SIGN_UP, { credential }), app.gql(SIGN_UP, { email, password: PASSWORD })]);
      const outcomes = [passkey.data.webauthnSignUp.__typename, password.data.signUpEmailPassword.__typename];
      expect(outcomes.filter((name) => name.endsWith("Ok"))).toHaveLength(1);
      expect(outcomes.filter((name) => name === "EmailAlreadyExistsError")).toHaveLength(1);
      await expectOneWholeAccount(email);
    }
  });

  it("two passwordless sign-ins on two devices race: one account", async () => {
    for (let round = 0; round < 4; round++) {
      const email = `race-code-code-${round}@example.com`;
      const first = await codeFor(email);
      const second = await codeFor(email);
      const results = await Promise.all([app.gql(CONSUME, first), app.gql(CONSUME, second)]);
      for (const result of results) expect(result.data.consumeCode.__typename).toBe("ConsumeCodeOk");
      await expectOneWholeAccount(email);
    }
  });
});
