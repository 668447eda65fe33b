/** The account page: a user edits their own profile and deletes their account, through GraphQL. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, REFRESH, SIGN_IN, bearer, signUp, startApp, tableCounts, type TestApp, createPat } from "./helpers.js";

const UPDATE = `mutation($displayName: String, $avatarUrl: String, $locale: String, $metadata: JSON) {
  updateProfile(displayName: $displayName, avatarUrl: $avatarUrl, locale: $locale, metadata: $metadata) {
    __typename ... on UpdateProfileOk { user { displayName avatarUrl locale metadata email } } ... on InvalidInputError { fieldErrors { id error } } } }`;
const DELETE = `mutation { deleteAccount { __typename ... on ElevationRequiredError { factors } } }`;
const ME = `{ me { displayName avatarUrl locale metadata } }`;
const ADMIN_SECRET = "an-admin-secret-for-tests";

describe.each(DATABASES)("the account page (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { env: { ANONYMOUS_USERS: "on", ADMIN_SECRET } });
  });
  afterAll(() => app.close());

  it("updateProfile sets the given fields, leaves the others, and refuses bad input changing nothing", async () => {
    const { session } = await signUp(app, "profile@example.com");
    const auth = bearer(session.accessToken);
    expect((await app.gql(UPDATE, { displayName: "Ada" })).data.updateProfile.__typename).toBe("UnauthorisedError");

    const set = await app.gql(
      UPDATE,
      { displayName: "  Ada Lovelace ", locale: "pt-BR", avatarUrl: "https://img.example/ada.png", metadata: { theme: "dark" } },
      auth,
    );
    expect(set.data.updateProfile).toEqual({
      __typename: "UpdateProfileOk",
      user: {
        displayName: "Ada Lovelace",
        avatarUrl: "https://img.example/ada.png",
        locale: "pt-BR",
        metadata: { theme: "dark" },
        email: "profile@example.com",
      },
    });
    // Left out: unchanged.
    expect((await app.gql(UPDATE, { locale: "en" }, auth)).data.updateProfile.user).toMatchObject({
      displayName: "Ada Lovelace",
      locale: "en",
      metadata: { theme: "dark" },
    });

    const before = await app.gql(ME, {}, auth);
    const refused = await app.gql(
      UPDATE,
      { displayName: "x".repeat(201), avatarUrl: "javascript:alert(1)", locale: "not a locale", metadata: ["not", "an", "object"] },
      auth,
    );
    expect(refused.data.updateProfile.__typename).toBe("InvalidInputError");
    expect(refused.data.updateProfile.fieldErrors.map((error: { id: string }) => error.id).sort()).toEqual(["avatarUrl", "displayName", "locale", "metadata"]);
    expect(await app.gql(UPDATE, { metadata: { big: "x".repeat(9000) } }, auth).then((answer) => answer.data.updateProfile.fieldErrors[0].id)).toBe("metadata");
    expect(await app.gql(ME, {}, auth)).toEqual(before);
    // Audited for the account's owner and admins.
    const events = await app.gql(`{ auditEvents(type: "user.profile_updated") { nodes { data } } }`, {}, { "x-admin-secret": ADMIN_SECRET });
    expect(events.data.auditEvents.nodes[0].data.fields).toEqual(["locale"]);
  });

  it("deleteAccount needs a fresh proof, then ends every session and token, and the audit log keeps the events", async () => {
    expect((await app.gql(DELETE)).data.deleteAccount.__typename).toBe("UnauthorisedError");
    const { session, user } = await signUp(app, "leaving@example.com");
    const auth = bearer(session.accessToken);
    const pat = await createPat(app, session.accessToken);
    const patSession = (
      await app.gql(
        `mutation($pat: String!) { signInPersonalAccessToken(personalAccessToken: $pat) { ... on SignInPersonalAccessTokenOk { session { accessToken } } } }`,
        { pat },
      )
    ).data.signInPersonalAccessToken.session;
    // A PAT session never deletes the account.
    expect((await app.gql(DELETE, {}, bearer(patSession.accessToken))).data.deleteAccount).toEqual({ __typename: "ElevationRequiredError", factors: [] });
    app.clock.advance(301); // out of the elevation window
    expect((await app.gql(DELETE, {}, auth)).data.deleteAccount).toEqual({ __typename: "ElevationRequiredError", factors: ["password"] });
    expect(
      (await app.gql(`mutation($p: String!) { elevatePassword(password: $p) { __typename } }`, { p: PASSWORD }, auth)).data.elevatePassword.__typename,
    ).toBe("ElevatePasswordOk");
    expect((await app.gql(DELETE, {}, auth)).data.deleteAccount.__typename).toBe("DeleteAccountOk");

    expect((await app.gql(ME, {}, auth)).data.me).toBeNull();
    expect((await app.gql(ME, {}, bearer(patSession.accessToken))).data.me).toBeNull();
    expect((await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession.__typename).toBe("UnauthorisedError");
    expect((await app.gql(SIGN_IN, { email: "leaving@example.com", password: PASSWORD })).data.signInEmailPassword.__typename).toBe("WrongCredentialsError");
    const counts = await app.auth.deps.prisma.session.count({ where: { userId: user.id } });
    expect(counts).toBe(0);
    expect(await app.auth.deps.prisma.personalAccessToken.count({ where: { userId: user.id } })).toBe(0);
    expect(await app.auth.deps.prisma.ticket.count({ where: { userId: user.id } })).toBe(0);
    const events = await app.gql(`query($id: ID) { auditEvents(userId: $id) { nodes { type data } } }`, { id: user.id }, { "x-admin-secret": ADMIN_SECRET });
    expect(events.data.auditEvents.nodes[0]).toEqual({ type: "user.deleted", data: { email: "leaving@example.com" } });
    expect(events.data.auditEvents.nodes.map((event: { type: string }) => event.type)).toContain("session.elevated");
    // The address is free again.
    await signUp(app, "leaving@example.com");
  });

  it("an anonymous user cannot delete, unlink, connect or add an address through the account page; refusals change nothing", async () => {
    const anonymous = (await app.gql(`mutation { signInAnonymous { ... on SignInAnonymousOk { session { accessToken } } } }`)).data.signInAnonymous;
    const auth = bearer(anonymous.session.accessToken);
    const before = await tableCounts(app);
    expect((await app.gql(DELETE, {}, auth)).data.deleteAccount.__typename).toBe("ForbiddenAnonymousError");
    const refused = await app.gql(
      `mutation {
        unlinkIdentity(providerId: "local", providerUserId: "x") { __typename }
        thirdPartyAuthorisationUrl(providerId: "local", redirectURI: "http://app.test/cb", connect: true) { __typename }
        createCode(email: "anon-link@example.com", shouldTryLinkingWithSessionUser: true) { __typename }
        consumeCode(preAuthSessionId: "p", linkCode: "l", shouldTryLinkingWithSessionUser: true) { __typename }
      }`,
      {},
      auth,
    );
    expect(Object.values(refused.data).map((value) => (value as { __typename: string }).__typename)).toEqual(Array(4).fill("ForbiddenAnonymousError"));
    expect(await tableCounts(app)).toEqual(before);
  });

  it("a code that would add an address someone took meanwhile adds nothing (EmailAlreadyExistsError), and linking needs a session", async () => {
    const LINK = `mutation($p: String!, $d: String!, $c: String!) { consumeCode(preAuthSessionId: $p, deviceId: $d, userInputCode: $c, shouldTryLinkingWithSessionUser: true) { __typename } }`;
    // A phone-only account (passwordless by SMS) adds an email.
    const start = (await app.gql(`mutation { createCode(phoneNumber: "+14155550190") { ... on CreateCodeOk { deviceId preAuthSessionId } } }`)).data.createCode;
    const code = /code is (\d+)/.exec(app.sms.last("+14155550190")!.body)![1];
    const phoneUser = (
      await app.gql(
        `mutation($p: String!, $d: String!, $c: String!) { consumeCode(preAuthSessionId: $p, deviceId: $d, userInputCode: $c) { ... on ConsumeCodeOk { session { accessToken } } } }`,
        {
          p: start.preAuthSessionId,
          d: start.deviceId,
          c: code,
        },
      )
    ).data.consumeCode;
    const auth = bearer(phoneUser.session.accessToken);
    const linking = (
      await app.gql(
        `mutation { createCode(email: "contested@example.com", shouldTryLinkingWithSessionUser: true) { ... on CreateCodeOk { deviceId preAuthSessionId } } }`,
        {},
        auth,
      )
    ).data.createCode;
    const emailed = /code is (\d+)/.exec(app.outbox.last("contested@example.com")!.text)![1];
    const variables = { p: linking.preAuthSessionId, d: linking.deviceId, c: emailed };
    expect((await app.gql(LINK, variables)).data.consumeCode.__typename).toBe("UnauthorisedError");
    await signUp(app, "contested@example.com"); // taken meanwhile
    expect((await app.gql(LINK, variables, auth)).data.consumeCode.__typename).toBe("EmailAlreadyExistsError");
    expect((await app.gql(`{ me { email } }`, {}, auth)).data.me.email).toBeNull();
  });
});
