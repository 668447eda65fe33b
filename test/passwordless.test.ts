import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, SIGN_IN, SIGN_UP, SESSION_FIELDS, bearer, emailedToken, signUp, startApp, type TestApp } from "./helpers.js";

const CREATE = `mutation($email: String, $phoneNumber: String, $options: SignUpOptions) {
  createCode(email: $email, phoneNumber: $phoneNumber, options: $options) {
    __typename ... on AuthResult { status }
    ... on CreateCodeOk { deviceId preAuthSessionId flowType }
    ... on SignInUpNotAllowedError { reason }
    ... on InvalidInputError { fieldErrors { id error } }
    ... on AuthError { message }
  }
}`;
const RESEND = `mutation($deviceId: String!, $preAuthSessionId: String!) {
  resendCode(deviceId: $deviceId, preAuthSessionId: $preAuthSessionId) { __typename ... on AuthResult { status } }
}`;
const CONSUME = `mutation($preAuthSessionId: String!, $deviceId: String, $userInputCode: String, $linkCode: String) {
  consumeCode(preAuthSessionId: $preAuthSessionId, deviceId: $deviceId, userInputCode: $userInputCode, linkCode: $linkCode) {
    __typename ... on AuthResult { status }
    ... on ConsumeCodeOk { createdNewRecipeUser user { id email emailVerified phoneNumber phoneNumberVerified displayName roles loginMethods { recipeId } } ${SESSION_FIELDS} }
    ... on IncorrectUserInputCodeError { failedCodeInputAttemptCount maximumCodeInputAttempts }
    ... on ExpiredUserInputCodeError { failedCodeInputAttemptCount maximumCodeInputAttempts }
    ... on SignInUpNotAllowedError { reason }
    ... on InvalidInputError { fieldErrors { id error } }
  }
}`;

const codeIn = (text: string) => /code is (\d+)/.exec(text)?.[1];

describe.each(DATABASES)("passwordless (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  async function start(variables: Record<string, unknown>) {
    const { data } = await app.gql(CREATE, variables);
    expect(data.createCode.__typename).toBe("CreateCodeOk");
    return data.createCode as { deviceId: string; preAuthSessionId: string; flowType: string };
  }
  const emailedCode = (to: string) => codeIn(app.outbox.last(to)!.text)!;

  it("signs up a new user with an emailed code, then signs the same user in", async () => {
    const flow = await start({ email: "Otp@Example.com", options: { displayName: "Otto", allowedRoles: ["user"] } });
    expect(flow.flowType).toBe("USER_INPUT_CODE_AND_MAGIC_LINK");
    const code = emailedCode("otp@example.com");
    expect(code).toMatch(/^\d{6}$/);
    const { data } = await app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, deviceId: flow.deviceId, userInputCode: code });
    const first = data.consumeCode;
    expect(first).toMatchObject({ __typename: "ConsumeCodeOk", status: "OK", createdNewRecipeUser: true });
    expect(first.user).toMatchObject({
      email: "otp@example.com",
      emailVerified: true,
      displayName: "Otto",
      roles: ["user"],
      loginMethods: [{ recipeId: "passwordless" }],
    });
    expect((await app.gql(`{ me { id } }`, {}, bearer(first.session.accessToken))).data.me.id).toBe(first.user.id);

    const again = await start({ email: "otp@example.com" });
    const second = (
      await app.gql(CONSUME, { preAuthSessionId: again.preAuthSessionId, deviceId: again.deviceId, userInputCode: emailedCode("otp@example.com") })
    ).data.consumeCode;
    expect(second).toMatchObject({ __typename: "ConsumeCodeOk", createdNewRecipeUser: false, user: { id: first.user.id } });
    expect((await app.gql(`query { emailExists(email: "otp@example.com") }`)).data.emailExists).toBe(true);
  });

  it("takes the @oneOf forms (`to`, `proof`) beside the separate arguments, never both, and exactly one field", async () => {
    const ONE_OF_CREATE = `mutation($to: CodeDestination!) { createCode(to: $to) { __typename ... on CreateCodeOk { deviceId preAuthSessionId } } }`;
    const ONE_OF_CONSUME = `mutation($p: String!, $proof: CodeProof!) { consumeCode(preAuthSessionId: $p, proof: $proof) { __typename ... on ConsumeCodeOk { user { email } } } }`;
    const flow = (await app.gql(ONE_OF_CREATE, { to: { email: "oneof@example.com" } })).data.createCode;
    expect(flow.__typename).toBe("CreateCodeOk");
    const proof = { code: { deviceId: flow.deviceId, userInputCode: emailedCode("oneof@example.com") } };
    expect((await app.gql(ONE_OF_CONSUME, { p: flow.preAuthSessionId, proof })).data.consumeCode).toEqual({
      __typename: "ConsumeCodeOk",
      user: { email: "oneof@example.com" },
    });
    // Both fields of a @oneOf, or none: GraphQL refuses the request before it runs.
    for (const to of [{ email: "a@example.com", phoneNumber: "+14155550123" }, {}]) {
      const refused = await app.gql(ONE_OF_CREATE, { to });
      expect(refused.data).toBeUndefined();
      expect(refused.errors?.[0]?.message).toMatch(/exactly one/i);
    }
    // Both argument forms at once: InvalidInputError naming the @oneOf argument.
    const both = await app.gql(
      `mutation { createCode(to: { email: "x@example.com" }, email: "y@example.com") { ... on InvalidInputError { fieldErrors { id } } } }`,
    );
    expect(both.data.createCode.fieldErrors).toEqual([{ id: "to" }]);
    const bothProofs = await app.gql(
      `mutation { consumeCode(preAuthSessionId: "p", linkCode: "l", proof: { linkCode: "l" }) { ... on InvalidInputError { fieldErrors { id } } } }`,
    );
    expect(bothProofs.data.consumeCode.fieldErrors).toEqual([{ id: "proof" }]);
  });

  it("adds a verified phone or email to the signed-in account by code (shouldTryLinkingWithSessionUser), under the linking rule", async () => {
    const LINK_CREATE = `mutation($email: String, $phoneNumber: String) { createCode(email: $email, phoneNumber: $phoneNumber, shouldTryLinkingWithSessionUser: true) {
      __typename ... on CreateCodeOk { deviceId preAuthSessionId } ... on InvalidInputError { fieldErrors { id error } } } }`;
    const LINK_CONSUME = `mutation($p: String!, $d: String!, $c: String!) { consumeCode(preAuthSessionId: $p, deviceId: $d, userInputCode: $c, shouldTryLinkingWithSessionUser: true) {
      __typename ... on ConsumeCodeOk { createdNewRecipeUser session { accessToken } user { id email phoneNumber phoneNumberVerified loginMethods { recipeId phoneNumber verified } } } } }`;
    const { session, user } = await signUp(app, "linking@example.com");
    const auth = bearer(session.accessToken);
    expect((await app.gql(LINK_CREATE, { phoneNumber: "+14155550142" })).data.createCode.__typename).toBe("UnauthorisedError");

    const started = (await app.gql(LINK_CREATE, { phoneNumber: "+1 415 555 0142" }, auth)).data.createCode;
    expect(started.__typename).toBe("CreateCodeOk");
    const code = codeIn(app.sms.last("+14155550142")!.body)!;
    // Another account's session cannot spend it.
    const other = await signUp(app, "not-the-linker@example.com");
    const stolen = await app.gql(LINK_CONSUME, { p: started.preAuthSessionId, d: started.deviceId, c: code }, bearer(other.session.accessToken));
    expect(stolen.data.consumeCode.__typename).toBe("RestartFlowError");

    const again = (await app.gql(LINK_CREATE, { phoneNumber: "+14155550142" }, auth)).data.createCode;
    const linked = await app.gql(LINK_CONSUME, { p: again.preAuthSessionId, d: again.deviceId, c: codeIn(app.sms.last("+14155550142")!.body) }, auth);
    expect(linked.data.consumeCode).toMatchObject({
      __typename: "ConsumeCodeOk",
      createdNewRecipeUser: false,
      session: null,
      user: { id: user.id, email: "linking@example.com", phoneNumber: "+14155550142", phoneNumberVerified: true },
    });
    expect(linked.data.consumeCode.user.loginMethods).toEqual(
      expect.arrayContaining([{ recipeId: "passwordless", phoneNumber: "+14155550142", verified: true }]),
    );
    // The phone now signs in to the same account.
    const signIn = await start({ phoneNumber: "+14155550142" });
    const byPhone = (
      await app.gql(CONSUME, {
        preAuthSessionId: signIn.preAuthSessionId,
        deviceId: signIn.deviceId,
        userInputCode: codeIn(app.sms.last("+14155550142")!.body),
      })
    ).data.consumeCode;
    expect(byPhone.user.id).toBe(user.id);

    // Another account's address, or another address of a kind the account has: refused before a code is sent.
    expect((await app.gql(LINK_CREATE, { email: "not-the-linker@example.com" }, auth)).data.createCode.__typename).toBe("EmailAlreadyExistsError");
    expect((await app.gql(LINK_CREATE, { email: "second@example.com" }, auth)).data.createCode.fieldErrors[0].id).toBe("email");
    const phoneOwner = await signUp(app, "phone-owner@example.com");
    const otherPhone = (await app.gql(LINK_CREATE, { phoneNumber: "+14155550177" }, bearer(phoneOwner.session.accessToken))).data.createCode;
    await app.gql(
      LINK_CONSUME,
      { p: otherPhone.preAuthSessionId, d: otherPhone.deviceId, c: codeIn(app.sms.last("+14155550177")!.body) },
      bearer(phoneOwner.session.accessToken),
    );
    const fresh = await signUp(app, "wants-that-phone@example.com");
    expect((await app.gql(LINK_CREATE, { phoneNumber: "+14155550177" }, bearer(fresh.session.accessToken))).data.createCode.fieldErrors).toEqual([
      { id: "phoneNumber", error: "belongs to another account" },
    ]);
    // Linking needs a fresh proof.
    app.clock.advance(301);
    expect((await app.gql(LINK_CREATE, { email: "linking@example.com" }, auth)).data.createCode.__typename).toBe("ElevationRequiredError");
  });

  it("counts wrong codes and spends the device after the last allowed one", async () => {
    const flow = await start({ email: "wrong-code@example.com" });
    const right = emailedCode("wrong-code@example.com");
    const wrong = right === "000000" ? "111111" : "000000";
    for (let i = 1; i <= 5; i++) {
      const { data } = await app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, deviceId: flow.deviceId, userInputCode: wrong });
      expect(data.consumeCode).toMatchObject({
        __typename: "IncorrectUserInputCodeError",
        status: "INCORRECT_USER_INPUT_CODE_ERROR",
        failedCodeInputAttemptCount: i,
        maximumCodeInputAttempts: 5,
      });
    }
    const { data } = await app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, deviceId: flow.deviceId, userInputCode: right });
    expect(data.consumeCode).toMatchObject({ __typename: "RestartFlowError", status: "RESTART_FLOW_ERROR" });
  });

  it("counts wrong codes against the account, locking its password sign-in too", async () => {
    await signUp(app, "shared-limit@example.com");
    await app.gql(`mutation($t: String!) { verifyEmail(token: $t) { __typename } }`, { t: await emailedToken(app, "shared-limit@example.com") });
    for (let device = 0; device < 2; device++) {
      const flow = await start({ email: "shared-limit@example.com" });
      for (let i = 0; i < 5; i++) await app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, deviceId: flow.deviceId, userInputCode: "00000x" });
    }
    const signIn = await app.gql(
      `mutation { signInEmailPassword(email: "shared-limit@example.com", password: "${PASSWORD}") { __typename ... on LimitReachedError { retryAfterMs } } }`,
    );
    expect(signIn.data.signInEmailPassword).toEqual({ __typename: "LimitReachedError", retryAfterMs: 30_000 });
    const flow = await start({ email: "shared-limit@example.com" });
    const { data } = await app.gql(CONSUME, {
      preAuthSessionId: flow.preAuthSessionId,
      deviceId: flow.deviceId,
      userInputCode: emailedCode("shared-limit@example.com"),
    });
    expect(data.consumeCode.__typename).toBe("LimitReachedError");
    app.clock.advance(31);
    const again = await app.gql(CONSUME, {
      preAuthSessionId: flow.preAuthSessionId,
      deviceId: flow.deviceId,
      userInputCode: emailedCode("shared-limit@example.com"),
    });
    expect(again.data.consumeCode.__typename).toBe("ConsumeCodeOk"); // and the success clears the count
    const after = await app.gql(`mutation { signInEmailPassword(email: "shared-limit@example.com", password: "${PASSWORD}") { __typename } }`);
    expect(after.data.signInEmailPassword.__typename).toBe("SignInEmailPasswordOk");
  });

  it("answers ExpiredUserInputCodeError once the code's 15 minutes are over", async () => {
    const flow = await start({ email: "late@example.com" });
    app.clock.advance(15 * 60 + 1);
    const { data } = await app.gql(CONSUME, {
      preAuthSessionId: flow.preAuthSessionId,
      deviceId: flow.deviceId,
      userInputCode: emailedCode("late@example.com"),
    });
    expect(data.consumeCode).toMatchObject({
      __typename: "ExpiredUserInputCodeError",
      status: "EXPIRED_USER_INPUT_CODE_ERROR",
      failedCodeInputAttemptCount: 1,
      maximumCodeInputAttempts: 5,
    });
  });

  it("signs in by the magic link once", async () => {
    const flow = await start({ email: "link@example.com" });
    const link = new URL(/http:\/\/app\.test\/verify\S+/.exec(app.outbox.last("link@example.com")!.text)![0]);
    expect(link.searchParams.get("preAuthSessionId")).toBe(flow.preAuthSessionId);
    const linkCode = link.hash.slice(1);
    const { data } = await app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, linkCode });
    expect(data.consumeCode).toMatchObject({ __typename: "ConsumeCodeOk", user: { email: "link@example.com" } });
    expect((await app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, linkCode })).data.consumeCode.__typename).toBe("RestartFlowError");
  });

  it("resends a new code without invalidating the first, and refuses unknown devices", async () => {
    const flow = await start({ email: "resend-otp@example.com" });
    const first = emailedCode("resend-otp@example.com");
    const resent = await app.gql(RESEND, flow);
    expect(resent.data.resendCode).toEqual({ __typename: "ResendCodeOk", status: "OK" });
    expect(app.outbox.messages.filter((m) => m.to === "resend-otp@example.com")).toHaveLength(2);
    const { data } = await app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, deviceId: flow.deviceId, userInputCode: first });
    expect(data.consumeCode.__typename).toBe("ConsumeCodeOk");
    expect((await app.gql(RESEND, flow)).data.resendCode).toEqual({ __typename: "RestartFlowError", status: "RESTART_FLOW_ERROR" });
    expect((await app.gql(RESEND, { deviceId: "made-up", preAuthSessionId: flow.preAuthSessionId })).data.resendCode.__typename).toBe("RestartFlowError");
  });

  it("gives one session to 20 parallel requests with the right code", async () => {
    const flow = await start({ email: "race-otp@example.com" });
    const code = emailedCode("race-otp@example.com");
    const results = await Promise.all(
      Array.from({ length: 20 }, () => app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, deviceId: flow.deviceId, userInputCode: code })),
    );
    const kinds = results.map((result) => result.data.consumeCode.__typename);
    expect(kinds.filter((name) => name === "ConsumeCodeOk")).toHaveLength(1);
    // The others find the flow spent, or the account's attempt limit reached by the burst itself.
    expect(kinds.filter((name) => name !== "ConsumeCodeOk").every((name) => ["RestartFlowError", "LimitReachedError"].includes(name))).toBe(true);
    const user = await app.auth.deps.accounts.byEmail("public", "race-otp@example.com");
    expect(await app.auth.deps.prisma.session.count({ where: { userId: user!.id } })).toBe(1);
  });

  it("signs up by SMS with the number normalised to E.164", async () => {
    const flow = await start({ phoneNumber: "+44 7911 123456" });
    const text = app.sms.last("+447911123456")!.body;
    const { data } = await app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, deviceId: flow.deviceId, userInputCode: codeIn(text) });
    expect(data.consumeCode.user).toMatchObject({ phoneNumber: "+447911123456", phoneNumberVerified: true, email: null });
    expect((await app.gql(`query { phoneNumberExists(phoneNumber: "+447911123456") }`)).data.phoneNumberExists).toBe(true);
    expect((await app.gql(`query { phoneNumberExists(phoneNumber: "+447911000000") }`)).data.phoneNumberExists).toBe(false);
  });

  it.each([
    ["neither email nor phone", {}, "email"],
    ["both email and phone", { email: "both@example.com", phoneNumber: "+447911123456" }, "email"],
    ["a malformed email", { email: "nope" }, "email"],
    ["a malformed phone number", { phoneNumber: "12" }, "phoneNumber"],
    ["a bad sign-up option", { email: "opts-otp@example.com", options: { allowedRoles: ["root"] } }, "options.allowedRoles"],
  ])("refuses %s with InvalidInputError", async (_, variables, field) => {
    const { data } = await app.gql(CREATE, variables);
    expect(data.createCode.__typename).toBe("InvalidInputError");
    expect(data.createCode.fieldErrors.map((error: { id: string }) => error.id)).toContain(field);
  });

  it("refuses consumeCode without a code or a link", async () => {
    const { data } = await app.gql(CONSUME, { preAuthSessionId: "x" });
    expect(data.consumeCode.__typename).toBe("InvalidInputError");
  });

  it("signs a verified email/password user in, and starts an unverified one clean (API.md linking rule)", async () => {
    const { user } = await signUp(app, "verified-pw@example.com");
    await app.gql(`mutation($t: String!) { verifyEmail(token: $t) { __typename } }`, { t: await emailedToken(app, "verified-pw@example.com") });
    const flow = await start({ email: "verified-pw@example.com" });
    const ok = (
      await app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, deviceId: flow.deviceId, userInputCode: emailedCode("verified-pw@example.com") })
    ).data.consumeCode;
    expect(ok).toMatchObject({ __typename: "ConsumeCodeOk", createdNewRecipeUser: false, user: { id: user.id } });
    expect(ok.user.loginMethods.map((m: { recipeId: string }) => m.recipeId).sort()).toEqual(["emailpassword", "passwordless"]);

    // Someone registered the address with a password and never proved it: the address's owner gets the account, without that password.
    const squatter = (await app.gql(SIGN_UP, { email: "squatted@example.com", password: PASSWORD })).data.signUpEmailPassword;
    const squat = await start({ email: "squatted@example.com" });
    const { data } = await app.gql(CONSUME, {
      preAuthSessionId: squat.preAuthSessionId,
      deviceId: squat.deviceId,
      userInputCode: emailedCode("squatted@example.com"),
    });
    expect(data.consumeCode).toMatchObject({
      __typename: "ConsumeCodeOk",
      user: { id: squatter.user.id, emailVerified: true, loginMethods: [{ recipeId: "passwordless" }] },
    });
    expect((await app.gql(SIGN_IN, { email: "squatted@example.com", password: PASSWORD })).data.signInEmailPassword.__typename).toBe("WrongCredentialsError");
  });

  it("refuses a disabled user with SignInUpNotAllowedError", async () => {
    const flow = await start({ email: "off-otp@example.com" });
    await app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, deviceId: flow.deviceId, userInputCode: emailedCode("off-otp@example.com") });
    await app.auth.deps.prisma.user.update({ where: { tenantId_email: { tenantId: "public", email: "off-otp@example.com" } }, data: { disabled: true } });
    const again = await start({ email: "off-otp@example.com" });
    const { data } = await app.gql(CONSUME, {
      preAuthSessionId: again.preAuthSessionId,
      deviceId: again.deviceId,
      userInputCode: emailedCode("off-otp@example.com"),
    });
    expect(data.consumeCode).toMatchObject({ __typename: "SignInUpNotAllowedError", reason: "This account is disabled" });
  });
});

describe.each(DATABASES)("passwordless delivery failures and flow types (%s)", (kind) => {
  let app: TestApp;
  let failing = false;
  beforeAll(async () => {
    app = await startApp(kind, { env: { PASSWORDLESS_FLOW_TYPE: "MAGIC_LINK" } });
    const send = app.outbox.send.bind(app.outbox);
    app.outbox.send = async (message) => {
      if (failing) throw new Error("SMTP server said no");
      return send(message);
    };
  });
  afterAll(() => app?.close());

  it("answers GeneralError when the code cannot be sent, and keeps nothing", async () => {
    failing = true;
    const { data } = await app.gql(CREATE, { email: "unreachable@example.com" });
    failing = false;
    expect(data.createCode).toMatchObject({ __typename: "GeneralError", status: "GENERAL_ERROR" });
    expect(await app.auth.deps.prisma.passwordlessDevice.count()).toBe(0);
  });

  it("sends only a link with PASSWORDLESS_FLOW_TYPE=MAGIC_LINK", async () => {
    const { data } = await app.gql(CREATE, { email: "linkonly@example.com" });
    expect(data.createCode.flowType).toBe("MAGIC_LINK");
    const text = app.outbox.last("linkonly@example.com")!.text;
    expect(codeIn(text)).toBeUndefined();
    expect(text).toContain("http://app.test/verify?preAuthSessionId=");
  });
});

describe.each(DATABASES)("passwordless rate limits (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { env: { TRUST_PROXY: "true", PASSWORDLESS_LIMIT_PER_IP: "4/1h", PASSWORDLESS_LIMIT_PER_CONTACT: "3/1h" } });
  });
  afterAll(() => app?.close());
  const from = (ip: string) => ({ "x-forwarded-for": ip });

  it("limits codes sent to one address, resends included", async () => {
    const first = (await app.gql(CREATE, { email: "limited@example.com" }, from("10.0.0.1"))).data.createCode;
    expect((await app.gql(RESEND, first, from("10.0.0.2"))).data.resendCode.__typename).toBe("ResendCodeOk");
    expect((await app.gql(CREATE, { email: "LIMITED@example.com" }, from("10.0.0.3"))).data.createCode.__typename).toBe("CreateCodeOk");
    const { data } = await app.gql(CREATE, { email: "limited@example.com" }, from("10.0.0.4"));
    expect(data.createCode).toMatchObject({ __typename: "LimitReachedError", status: "LIMIT_REACHED_ERROR" });
    expect(data.createCode.message).toBeTruthy();
    const resend = (
      await app.gql(
        `mutation($deviceId: String!, $preAuthSessionId: String!) {
      resendCode(deviceId: $deviceId, preAuthSessionId: $preAuthSessionId) { __typename ... on LimitReachedError { retryAfterMs } } }`,
        first,
        from("10.0.0.5"),
      )
    ).data.resendCode;
    expect(resend.__typename).toBe("LimitReachedError");
    expect(resend.retryAfterMs).toBeGreaterThan(3_500_000);
    expect(resend.retryAfterMs).toBeLessThanOrEqual(3_600_000);
    expect((await app.gql(CREATE, { email: "other-address@example.com" }, from("10.0.0.6"))).data.createCode.__typename).toBe("CreateCodeOk");
  });

  it("limits codes requested from one IP", async () => {
    for (let i = 0; i < 4; i++) {
      expect((await app.gql(CREATE, { email: `ip${i}@example.com` }, from("192.0.2.7"))).data.createCode.__typename).toBe("CreateCodeOk");
    }
    const { data } = await app.gql(
      `mutation { createCode(email: "ip9@example.com") { __typename ... on LimitReachedError { retryAfterMs } } }`,
      {},
      from("192.0.2.7"),
    );
    expect(data.createCode.__typename).toBe("LimitReachedError");
    expect(data.createCode.retryAfterMs).toBeGreaterThan(0);
    expect((await app.gql(CREATE, { email: "ip9@example.com" }, from("192.0.2.8"))).data.createCode.__typename).toBe("CreateCodeOk");
  });
});

describe.each(DATABASES)("magic links through the server's GET /verify (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { env: { PASSWORDLESS_LINK_TARGET: "server", ALLOWED_REDIRECT_URLS: "https://app.example.com/after" } });
  });
  afterAll(() => app?.close());

  async function emailedLink(email: string, options?: Record<string, unknown>) {
    const { data } = await app.gql(CREATE, { email, options });
    expect(data.createCode.__typename).toBe("CreateCodeOk");
    const link = new URL(/http:\/\/auth\.test\/verify\S+/.exec(app.outbox.last(email)!.text)![0]);
    return `${link.pathname}${link.search}`;
  }

  it("consumes the link and redirects to redirectTo with a refresh token, once", async () => {
    const path = await emailedLink("server-link@example.com", { redirectTo: "https://app.example.com/after/welcome" });
    const response = await app.fetch(path, { redirect: "manual" });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe("https://app.example.com/after/welcome");
    expect(location.searchParams.get("type")).toBe("signinPasswordless");
    const refreshed = await app.gql(
      `mutation($t: String!) { refreshSession(refreshToken: $t) { __typename ... on RefreshSessionOk { session { user { email emailVerified } } } } }`,
      {
        t: location.searchParams.get("refreshToken"),
      },
    );
    expect(refreshed.data.refreshSession).toEqual({
      __typename: "RefreshSessionOk",
      session: { user: { email: "server-link@example.com", emailVerified: true } },
    });

    const again = await app.fetch(path, { redirect: "manual" });
    const failed = new URL(again.headers.get("location")!);
    expect(failed.searchParams.get("error")).toBe("RESTART_FLOW_ERROR");
    expect(failed.searchParams.get("refreshToken")).toBeNull();
  });

  it("refuses a redirectTo outside the allow-list without redirecting", async () => {
    const path = await emailedLink("evil-redirect@example.com");
    const tampered = path.replace(/redirectTo=[^&]+/, `redirectTo=${encodeURIComponent("https://evil.test/steal")}`);
    const response = await app.fetch(tampered, { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    // The link still works as sent.
    const genuine = await app.fetch(path, { redirect: "manual" });
    expect(new URL(genuine.headers.get("location")!).searchParams.get("refreshToken")).toBeTruthy();
  });

  it("redirects with an error for an unknown ticket type or a missing ticket", async () => {
    const unknown = await app.fetch("/verify?type=somethingElse&ticket=x", { redirect: "manual" });
    expect(new URL(unknown.headers.get("location")!).searchParams.get("error")).toBe("INVALID_REQUEST");
    const missing = await app.fetch("/verify?type=signinPasswordless", { redirect: "manual" });
    expect(new URL(missing.headers.get("location")!).searchParams.get("error")).toBe("INVALID_REQUEST");
  });
});

describe("passwordless message templates", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp("pglite", {
      recipes: {
        passwordless: {
          messages: {
            email: ({ userInputCode }) => ({ subject: "Welcome aboard", text: `Use ${userInputCode} to continue`, html: `<b>${userInputCode}</b>` }),
            sms: ({ userInputCode }) => `ACME code ${userInputCode}`,
          },
        },
      },
    });
  });
  afterAll(() => app?.close());

  it("uses the embedder's email and SMS templates", async () => {
    await app.gql(CREATE, { email: "template@example.com" });
    expect(app.outbox.last("template@example.com")).toMatchObject({ subject: "Welcome aboard", text: expect.stringMatching(/^Use \d{6} to continue$/) });
    await app.gql(CREATE, { phoneNumber: "+447911123457" });
    expect(app.sms.last("+447911123457")!.body).toMatch(/^ACME code \d{6}$/);
  });
});

describe("passwordless sign-up disabled, and resend invalidating earlier codes", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp("pglite", { recipes: { passwordless: { signUpDisabled: true } }, env: { PASSWORDLESS_RESEND_INVALIDATES: "true" } });
  });
  afterAll(() => app?.close());

  it("answers SignInUpNotAllowedError for an unknown address and lets a known one in", async () => {
    const { data } = await app.gql(CREATE, { email: "stranger@example.com" });
    expect(data.createCode).toMatchObject({ __typename: "SignInUpNotAllowedError", status: "SIGN_IN_UP_NOT_ALLOWED", reason: "Sign-up is disabled" });
    await signUp(app, "member@example.com");
    await app.gql(`mutation($t: String!) { verifyEmail(token: $t) { __typename } }`, { t: await emailedToken(app, "member@example.com") });
    const flow = (await app.gql(CREATE, { email: "member@example.com" })).data.createCode;
    const first = codeIn(app.outbox.last("member@example.com")!.text)!;
    await app.gql(RESEND, { deviceId: flow.deviceId, preAuthSessionId: flow.preAuthSessionId });
    const second = codeIn(app.outbox.last("member@example.com")!.text)!;
    if (first !== second) {
      const old = await app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, deviceId: flow.deviceId, userInputCode: first });
      expect(old.data.consumeCode.__typename).toBe("IncorrectUserInputCodeError");
    }
    const { data: ok } = await app.gql(CONSUME, { preAuthSessionId: flow.preAuthSessionId, deviceId: flow.deviceId, userInputCode: second });
    expect(ok.consumeCode).toMatchObject({ __typename: "ConsumeCodeOk", createdNewRecipeUser: false });
  });
});
