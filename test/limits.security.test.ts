/**
 * Every path that costs mail or rows is limited (per address, per client IP,
 * per token), the limits say nothing about which accounts exist, aliases cannot
 * multiply a request's sends, and `sendVerificationEmail` is no oracle.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, bearer, signUp, startApp, type TestApp } from "./helpers.js";

const RESET = `mutation($email: String!) { sendPasswordResetEmail(email: $email) { __typename ... on LimitReachedError { retryAfterMs } } }`;
const VERIFY = `mutation($email: String!) { sendVerificationEmail(email: $email) { __typename } }`;

describe.each(DATABASES)("limits on mail and rows (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, {
      env: {
        MAIL_LIMIT_PER_ADDRESS: "3/1h",
        MAIL_LIMIT_PER_IP: "12/1h",
        ANONYMOUS_USERS: "on",
        ANONYMOUS_LIMIT_PER_IP: "3/1h",
        PAT_SIGN_IN_LIMIT: "3/1h",
        WEBAUTHN_SIGN_UP_LIMIT_PER_IP: "3/1h",
      },
    });
  });
  afterAll(() => app?.close());

  const mails = async (to: string) => {
    await app.auth.deps.idle();
    return app.outbox.messages.filter((message) => message.to === to).length;
  };

  it("limits reset emails per address, alike for real and unknown accounts", async () => {
    await signUp(app, "often@example.com");
    const sentBefore = await mails("often@example.com");
    for (const email of ["often@example.com", "nobody-here@example.com"]) {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push((await app.gql(RESET, { email })).data.sendPasswordResetEmail.__typename);
      expect(answers, email).toEqual(["SendPasswordResetEmailOk", "SendPasswordResetEmailOk", "SendPasswordResetEmailOk", "LimitReachedError"]);
    }
    expect((await mails("often@example.com")) - sentBefore).toBe(3);
  });

  it("does not let aliases multiply one request's emails", async () => {
    const aliases = Array.from({ length: 15 }, (_, i) => `a${i}: sendPasswordResetEmail(email: "alias@example.com") { __typename }`).join(" ");
    const answer = await app.gql(`mutation { ${aliases} }`);
    expect(answer.data).toBeUndefined();
    expect(answer.errors?.[0]?.extensions?.code).toBe("CREDENTIAL_CHECK_LIMIT");
    expect(await mails("alias@example.com")).toBe(0);
  });

  it("answers sendVerificationEmail alike for every address, except to the signed-in owner", async () => {
    const { session } = await signUp(app, "verified-owner@example.com");
    await app.auth.deps.prisma.user.updateMany({ where: { email: "verified-owner@example.com" }, data: { emailVerified: true } });
    expect((await app.gql(VERIFY, { email: "verified-owner@example.com" })).data.sendVerificationEmail.__typename).toBe("SendVerificationEmailOk");
    expect((await app.gql(VERIFY, { email: "no-such-account@example.com" })).data.sendVerificationEmail.__typename).toBe("SendVerificationEmailOk");
    expect((await app.gql(VERIFY, { email: "verified-owner@example.com" }, bearer(session.accessToken))).data.sendVerificationEmail.__typename).toBe(
      "EmailAlreadyVerifiedError",
    );
  });

  it("limits anonymous sign-ins per client IP", async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await app.gql(`mutation { signInAnonymous { __typename } }`)).data.signInAnonymous.__typename);
    expect(answers).toEqual(["SignInAnonymousOk", "SignInAnonymousOk", "SignInAnonymousOk", "LimitReachedError"]);
  });

  it("limits the sessions one personal access token opens, and passkey sign-up options per client IP", async () => {
    const { session } = await signUp(app, "ci-limits@example.com");
    const expiresAt = new Date(app.clock.now().getTime() + 86_400_000).toISOString();
    const { personalAccessToken } = (
      await app.gql(
        `mutation($e: DateTime!) { createPersonalAccessToken(expiresAt: $e) { ... on CreatePersonalAccessTokenOk { personalAccessToken } } }`,
        { e: expiresAt },
        bearer(session.accessToken),
      )
    ).data.createPersonalAccessToken;
    const PAT = `mutation($t: String!) { signInPersonalAccessToken(personalAccessToken: $t) { __typename } }`;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await app.gql(PAT, { t: personalAccessToken })).data.signInPersonalAccessToken.__typename);
    expect(answers).toEqual(["SignInPersonalAccessTokenOk", "SignInPersonalAccessTokenOk", "SignInPersonalAccessTokenOk", "LimitReachedError"]);

    const OPTIONS = `mutation($email: String!) { webauthnSignUpOptions(email: $email) { __typename } }`;
    const options = [];
    for (let i = 0; i < 4; i++) options.push((await app.gql(OPTIONS, { email: `key${i}@example.com` })).data.webauthnSignUpOptions.__typename);
    expect(options).toEqual(["WebauthnOptionsOk", "WebauthnOptionsOk", "WebauthnOptionsOk", "LimitReachedError"]);
  });

  it("limits email-change confirmations per new address, and puts no text of the account's in them", async () => {
    const { session } = await signUp(app, "mover@example.com", PASSWORD);
    await app.auth.deps.prisma.user.updateMany({ where: { email: "mover@example.com" }, data: { displayName: "Cheap pills at spam.example" } });
    const CHANGE = `mutation { changeEmail(newEmail: "target@example.com") { __typename } }`;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await app.gql(CHANGE, {}, bearer(session.accessToken))).data.changeEmail.__typename);
    expect(answers).toEqual(["ChangeEmailOk", "ChangeEmailOk", "ChangeEmailOk", "LimitReachedError"]);
    await app.auth.deps.idle();
    const confirmation = app.outbox.last("target@example.com")!;
    expect(confirmation.text).not.toContain("spam.example");
    expect(confirmation.html).not.toContain("spam.example");
  });
});
