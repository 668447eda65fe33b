import { type TOTP, URI } from "otpauth";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, SIGN_IN, SIGN_UP, bearer, signUp, startApp, type TestApp, createPat } from "./helpers.js";

const SECRET = "admin-secret-0123456789";
const ADMIN = { "x-admin-secret": SECRET };
const STATUS = `__typename ... on AuthResult { status } ... on AuthError { message }`;
const RESULT = `${STATUS} ... on InvalidInputError { fieldErrors { id error } }`;
const USERS = `query($filter: UserFilter, $first: Int, $after: String) { users(filter: $filter, first: $first, after: $after) {
  totalCount pageInfo { endCursor hasNextPage } nodes { id email roles disabled tenantId } } }`;
const CREATE = `mutation($input: CreateUserInput!) { createUser(input: $input) { ${RESULT} ... on CreateUserOk { user { id email emailVerified roles defaultRole displayName metadata } } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { ${RESULT} ... on UpdateUserOk { user { id email roles defaultRole displayName metadata disabled } } } }`;
const DELETE = `mutation($id: ID!) { deleteUser(id: $id) { ${STATUS} ... on DeleteUserOk { didExist } } }`;
const REVOKE = `mutation($id: ID!) { revokeAllSessions(userId: $id) { ${STATUS} ... on RevokeAllSessionsOk { count } } }`;
const AUDIT = `query($userId: ID, $type: String, $first: Int, $after: String) { auditEvents(userId: $userId, type: $type, first: $first, after: $after) {
  totalCount pageInfo { endCursor hasNextPage } nodes { id type userId tenantId data createdAt } } }`;
const signIn = async (app: TestApp, email: string, password = PASSWORD, tenantId?: string) =>
  (await app.gql(SIGN_IN, { email, password, tenantId })).data.signInEmailPassword;

describe.each(DATABASES)("administration (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, {
      env: { ADMIN_SECRET: SECRET, USER_ROLES: "user,me,editor" },
      customClaims: (user) => ({ org: `org-of-${user.id.slice(0, 8)}`, sub: "not-the-user", roles: ["everything"] }),
    });
  });
  afterAll(() => app?.close());

  it("is invisible and refused without the admin secret or role", async () => {
    const { session } = await signUp(app, "plain@example.com");
    for (const headers of [{}, { "x-admin-secret": "wrong-secret-0123456789" }, bearer(session.accessToken)] as Array<Record<string, string>>) {
      const { errors } = await app.gql(`{ users { totalCount } }`, {}, headers);
      expect(errors?.[0]?.message).toMatch(/Cannot query field "users"/);
    }
    const fields = async (headers: Record<string, string>) =>
      (await app.gql(`{ __schema { queryType { fields { name } } } }`, {}, headers)).data.__schema.queryType.fields.map(
        (field: { name: string }) => field.name,
      );
    expect(await fields({})).not.toContain("users");
    expect(await fields(ADMIN)).toEqual(expect.arrayContaining(["users", "user", "auditEvents", "tenants"]));
  });

  it("creates, lists, pages, reads, updates and deletes users", async () => {
    const created = (
      await app.gql(
        CREATE,
        {
          input: {
            email: "Made@Example.com",
            password: PASSWORD,
            emailVerified: true,
            roles: ["user", "editor"],
            defaultRole: "editor",
            displayName: "Made",
            metadata: { plan: "pro" },
          },
        },
        ADMIN,
      )
    ).data.createUser;
    expect(created).toMatchObject({
      __typename: "CreateUserOk",
      user: { email: "made@example.com", emailVerified: true, roles: ["user", "editor"], defaultRole: "editor", metadata: { plan: "pro" } },
    });
    expect((await signIn(app, "made@example.com")).__typename).toBe("SignInEmailPasswordOk");
    expect((await app.gql(CREATE, { input: { email: "made@example.com" } }, ADMIN)).data.createUser.__typename).toBe("EmailAlreadyExistsError");
    const bad = (await app.gql(CREATE, { input: { email: "bad@example.com", roles: ["owner"], password: "short" } }, ADMIN)).data.createUser;
    expect(bad.fieldErrors.map((field: { id: string }) => field.id).sort()).toEqual(["password", "roles"]);

    for (let i = 0; i < 5; i++) await app.gql(CREATE, { input: { email: `page${i}@list.test` } }, ADMIN);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await app.gql(USERS, { filter: { email: "@LIST.test" }, first: 2, after }, ADMIN)).data.users;
      expect(page.totalCount).toBe(5);
      seen.push(...page.nodes.map((user: { email: string }) => user.email));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen.sort()).toEqual(["page0@list.test", "page1@list.test", "page2@list.test", "page3@list.test", "page4@list.test"]);
    expect((await app.gql(USERS, { filter: { role: "editor" } }, ADMIN)).data.users.nodes.map((user: { email: string }) => user.email)).toContain(
      "made@example.com",
    );

    const id = created.user.id;
    expect((await app.gql(`query($id: ID!) { user(id: $id) { email } }`, { id }, ADMIN)).data.user.email).toBe("made@example.com");
    const updated = (
      await app.gql(
        UPDATE,
        {
          id,
          input: {
            email: "renamed@example.com",
            password: "a whole new passphrase",
            roles: ["user"],
            defaultRole: "user",
            displayName: "Renamed",
            metadata: { plan: "free" },
          },
        },
        ADMIN,
      )
    ).data.updateUser;
    expect(updated).toMatchObject({
      __typename: "UpdateUserOk",
      user: { email: "renamed@example.com", roles: ["user"], displayName: "Renamed", metadata: { plan: "free" } },
    });
    // An address an admin typed is not proven, and a password an admin set does not prove it either.
    expect((await app.gql(`query($id: ID!) { user(id: $id) { emailVerified } }`, { id }, ADMIN)).data.user.emailVerified).toBe(false);
    expect((await signIn(app, "renamed@example.com")).__typename).toBe("WrongCredentialsError");
    expect((await signIn(app, "renamed@example.com", "a whole new passphrase")).__typename).toBe("SignInEmailPasswordOk");
    expect((await app.gql(UPDATE, { id, input: { defaultRole: "editor" } }, ADMIN)).data.updateUser.__typename).toBe("InvalidInputError");
    expect((await app.gql(UPDATE, { id: "00000000-0000-4000-8000-000000000000", input: { displayName: "x" } }, ADMIN)).data.updateUser.__typename).toBe(
      "UnknownUserIdError",
    );
    await signUp(app, "taken-by-admin@example.com");
    expect((await app.gql(UPDATE, { id, input: { email: "taken-by-admin@example.com" } }, ADMIN)).data.updateUser.__typename).toBe("EmailAlreadyExistsError");

    expect((await app.gql(DELETE, { id }, ADMIN)).data.deleteUser).toMatchObject({ __typename: "DeleteUserOk", didExist: true });
    expect((await app.gql(DELETE, { id }, ADMIN)).data.deleteUser.didExist).toBe(false);
    expect((await signIn(app, "renamed@example.com", "a whole new passphrase")).__typename).toBe("WrongCredentialsError");
  });

  it("disables a user: sessions and personal access tokens end at once", async () => {
    const { user, session } = await signUp(app, "to-disable@example.com");
    const auth = bearer(session.accessToken);
    const pat = await createPat(app, session.accessToken);
    expect((await app.gql(UPDATE, { id: user.id, input: { disabled: true } }, ADMIN)).data.updateUser.user.disabled).toBe(true);
    expect((await app.gql(`{ me { id } }`, {}, auth)).data.me).toBeNull();
    expect(
      (await app.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { __typename } }`, { t: session.refreshToken })).data.refreshSession.__typename,
    ).toBe("UnauthorisedError");
    expect(
      (await app.gql(`mutation($t: String!) { signInPersonalAccessToken(personalAccessToken: $t) { __typename } }`, { t: pat })).data.signInPersonalAccessToken
        .__typename,
    ).toBe("InvalidPersonalAccessTokenError");
    expect((await signIn(app, "to-disable@example.com")).__typename).toBe("UserDisabledError");
    expect((await app.gql(USERS, { filter: { disabled: true } }, ADMIN)).data.users.nodes.map((node: { id: string }) => node.id)).toContain(user.id);
  });

  it("signs a user out everywhere and shows it in the audit log", async () => {
    const { user, session } = await signUp(app, "audited@example.com");
    await signIn(app, "audited@example.com");
    expect((await app.gql(REVOKE, { id: user.id }, ADMIN)).data.revokeAllSessions).toMatchObject({ __typename: "RevokeAllSessionsOk", count: 2 });
    expect((await app.gql(`{ me { id } }`, {}, bearer(session.accessToken))).data.me).toBeNull();
    expect((await app.gql(REVOKE, { id: "00000000-0000-4000-8000-000000000000" }, ADMIN)).data.revokeAllSessions.__typename).toBe("UnknownUserIdError");
    const log = (await app.gql(AUDIT, { userId: user.id }, ADMIN)).data.auditEvents;
    expect(log.nodes.map((event: { type: string }) => event.type)).toEqual(["admin.sessions_revoked", "user.signed_in", "user.signed_in", "user.signed_up"]);
    const firstPage = (await app.gql(AUDIT, { userId: user.id, first: 3 }, ADMIN)).data.auditEvents;
    const rest = (await app.gql(AUDIT, { userId: user.id, first: 3, after: firstPage.pageInfo.endCursor }, ADMIN)).data.auditEvents;
    expect([...firstPage.nodes, ...rest.nodes].map((event: { id: string }) => event.id)).toEqual(log.nodes.map((event: { id: string }) => event.id));
    expect((await app.gql(AUDIT, { type: "admin.sessions_revoked" }, ADMIN)).data.auditEvents.nodes[0].userId).toBe(user.id);
  });

  it("lets users with the admin role administer, checked against the database each time", async () => {
    const { user } = await signUp(app, "boss@example.com");
    await app.gql(UPDATE, { id: user.id, input: { roles: ["user", "admin"] } }, ADMIN);
    const signedIn = await signIn(app, "boss@example.com");
    const auth = bearer(signedIn.session.accessToken);
    expect((await app.gql(USERS, { first: 1 }, auth)).data.users.totalCount).toBeGreaterThan(0);
    // The role taken away: the token still claims it, the database does not.
    await app.gql(UPDATE, { id: user.id, input: { roles: ["user"] } }, ADMIN);
    const { errors } = await app.gql(USERS, { first: 1 }, auth);
    expect(errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("keeps tenants apart", async () => {
    const create = (id: string) => app.gql(`mutation($id: String!) { createTenant(id: $id) { ${RESULT} ... on CreateTenantOk { id } } }`, { id }, ADMIN);
    expect((await create("acme")).data.createTenant).toMatchObject({ __typename: "CreateTenantOk", id: "acme" });
    expect((await create("Not A Tenant")).data.createTenant.__typename).toBe("InvalidInputError");
    const inPublic = (await app.gql(SIGN_UP, { email: "same@tenants.test", password: PASSWORD })).data.signUpEmailPassword;
    const inAcme = (await app.gql(SIGN_UP, { email: "same@tenants.test", password: "another passphrase", tenantId: "acme" })).data.signUpEmailPassword;
    expect(inAcme.__typename).toBe("SignUpEmailPasswordOk");
    expect(inAcme.user.id).not.toBe(inPublic.user.id);
    expect((await signIn(app, "same@tenants.test", PASSWORD, "acme")).__typename).toBe("WrongCredentialsError");
    expect((await signIn(app, "same@tenants.test", "another passphrase", "acme")).user.id).toBe(inAcme.user.id);
    expect((await app.gql(SIGN_UP, { email: "x@tenants.test", password: PASSWORD, tenantId: "nowhere" })).data.signUpEmailPassword.__typename).toBe(
      "InvalidInputError",
    );
    const acmeUsers = (await app.gql(USERS, { filter: { tenantId: "acme" } }, ADMIN)).data.users;
    expect(acmeUsers.nodes.map((node: { id: string }) => node.id)).toEqual([inAcme.user.id]);
    expect((await app.gql(`{ tenants { id } }`, {}, ADMIN)).data.tenants.map((tenant: { id: string }) => tenant.id).sort()).toEqual(["acme", "public"]);
    const remove = (id: string) => app.gql(`mutation($id: String!) { deleteTenant(id: $id) { ${RESULT} ... on DeleteTenantOk { didExist } } }`, { id }, ADMIN);
    expect((await remove("acme")).data.deleteTenant.__typename).toBe("InvalidInputError"); // it has users
    expect((await remove("public")).data.deleteTenant.__typename).toBe("InvalidInputError");
    await create("empty");
    expect((await remove("empty")).data.deleteTenant).toMatchObject({ __typename: "DeleteTenantOk", didExist: true });
  });

  it("lets admins configure a tenant: first factors, password length, email verification, providers", async () => {
    await app.gql(`mutation { createTenant(id: "strict") { __typename } }`, {}, ADMIN);
    const UPDATE_TENANT = `mutation($id: String!, $config: TenantConfigInput!) { updateTenant(id: $id, config: $config) { ${RESULT} } }`;
    const configure = async (config: Record<string, unknown>, id = "strict") => (await app.gql(UPDATE_TENANT, { id, config }, ADMIN)).data.updateTenant;
    expect((await configure({ firstFactors: ["passwordless"], passwordMinLength: 20, emailVerification: "REQUIRED" })).__typename).toBe("UpdateTenantOk");
    const AUTH_CONFIG = `query($t: String) { authConfig(tenantId: $t) { firstFactors passwordPolicy { minLength } emailVerification } }`;
    expect((await app.gql(AUTH_CONFIG, { t: "strict" })).data.authConfig).toEqual({
      firstFactors: ["passwordless"],
      passwordPolicy: { minLength: 20 },
      emailVerification: "REQUIRED",
    });
    expect((await app.gql(AUTH_CONFIG, {})).data.authConfig.firstFactors).toContain("emailpassword"); // other tenants unchanged
    const refused = (await app.gql(SIGN_UP, { email: "strict@example.com", password: PASSWORD, tenantId: "strict" })).data.signUpEmailPassword;
    expect(refused).toMatchObject({
      __typename: "InvalidInputError",
      fieldErrors: [{ id: "tenantId", error: expect.stringContaining("emailpassword sign-in is not enabled") }],
    });

    await configure({ firstFactors: ["emailpassword"], passwordMinLength: 30 });
    const short = (await app.gql(SIGN_UP, { email: "strict@example.com", password: PASSWORD, tenantId: "strict" })).data.signUpEmailPassword;
    expect(short.fieldErrors).toEqual([{ id: "password", error: expect.stringContaining("30") }]);
    const made = (await app.gql(CREATE, { input: { email: "made-strict@example.com", password: PASSWORD, tenantId: "strict" } }, ADMIN)).data.createUser;
    expect(made.fieldErrors).toEqual([{ id: "password", error: expect.stringContaining("30") }]); // admins follow the tenant's policy too
    const long = (await app.gql(SIGN_UP, { email: "strict@example.com", password: "a passphrase that is thirty-one chars", tenantId: "strict" })).data
      .signUpEmailPassword;
    expect(long).toMatchObject({ __typename: "SignUpEmailPasswordOk", session: { accessToken: expect.any(String) } }); // verification back to the server's OPTIONAL

    // An unknown factor is not a FirstFactor: GraphQL refuses the request before it runs.
    const pigeon = await app.gql(UPDATE_TENANT, { id: "strict", config: { firstFactors: ["carrier-pigeon"] } }, ADMIN);
    expect(pigeon.data).toBeUndefined();
    expect(pigeon.errors?.[0]?.message).toContain("carrier-pigeon");
    const bad = await configure({
      passwordMinLength: 0,
      emailVerification: "SOMETIMES",
      thirdPartyProviders: [{ id: "custom", clientId: "x" }],
    });
    expect(bad.fieldErrors.map((field: { id: string }) => field.id)).toEqual([
      "config.passwordMinLength",
      "config.emailVerification",
      "config.thirdPartyProviders",
    ]);
    expect((await configure({}, "no-such-tenant")).__typename).toBe("InvalidInputError");
    const twice = { id: "okta", issuer: "https://idp.example.test", clientId: "okta-client" };
    const duplicate = await configure({ thirdPartyProviders: [twice, twice] });
    expect(duplicate.fieldErrors).toEqual([{ id: "config.thirdPartyProviders", error: expect.stringContaining("provider ids must be unique") }]);

    await app.gql(`mutation { createTenant(id: "sso") { __typename } }`, {}, ADMIN);
    await configure(
      { thirdPartyProviders: [{ id: "okta", name: "Okta", issuer: "https://idp.example.test", clientId: "okta-client", clientSecret: "okta-secret-value" }] },
      "sso",
    );
    expect((await app.gql(`{ thirdPartyProviders(tenantId: "sso") { id name } }`)).data.thirdPartyProviders).toEqual([{ id: "okta", name: "Okta" }]);
    expect((await app.gql(`{ thirdPartyProviders { id } }`)).data.thirdPartyProviders).toEqual([]);
    const shown = (await app.gql(`{ tenants { id config { thirdPartyProviders firstFactors } } }`, {}, ADMIN)).data.tenants.find(
      (tenant: { id: string }) => tenant.id === "sso",
    );
    expect(shown.config.thirdPartyProviders).toEqual([{ id: "okta", name: "Okta", issuer: "https://idp.example.test", clientId: "okta-client" }]);
    const row = await app.auth.deps.prisma.tenant.findUniqueOrThrow({ where: { id: "sso" } });
    expect(JSON.stringify(row.config)).not.toContain("okta-secret-value"); // sealed at rest
    expect((await app.auth.deps.tenants.settings("sso")).thirdPartyProviders[0]!.clientSecret).toBe("okta-secret-value");
  });

  it("runs the seed's recipe functions for support: reset and verification links, MFA reset", async () => {
    const { user, session } = await signUp(app, "support@example.com");
    const VERIFY_LINK = `mutation($id: ID!) { createEmailVerificationLink(userId: $id) { ${STATUS} ... on CreateEmailVerificationLinkOk { link } } }`;
    const verifyLink = new URL((await app.gql(VERIFY_LINK, { id: user.id }, ADMIN)).data.createEmailVerificationLink.link);
    await app.gql(`mutation($t: String!) { verifyEmail(token: $t) { __typename } }`, { t: verifyLink.searchParams.get("token") });
    expect((await app.gql(VERIFY_LINK, { id: user.id }, ADMIN)).data.createEmailVerificationLink.__typename).toBe("EmailAlreadyVerifiedError");

    const RESET = `mutation($id: ID!) { createResetPasswordLink(userId: $id) { ${STATUS} ... on CreateResetPasswordLinkOk { link } } }`;
    const link = new URL((await app.gql(RESET, { id: user.id }, ADMIN)).data.createResetPasswordLink.link);
    expect(link.origin + link.pathname).toBe("http://app.test/reset-password");
    const reset = await app.gql(`mutation($t: String!) { resetPassword(token: $t, newPassword: "reset by support") { __typename } }`, {
      t: link.searchParams.get("token"),
    });
    expect(reset.data.resetPassword.__typename).toBe("ResetPasswordOk");
    expect((await signIn(app, "support@example.com", "reset by support")).__typename).toBe("SignInEmailPasswordOk");
    expect((await app.gql(RESET, { id: "00000000-0000-4000-8000-000000000000" }, ADMIN)).data.createResetPasswordLink.__typename).toBe("UnknownUserIdError");

    const auth = bearer((await signIn(app, "support@example.com", "reset by support")).session.accessToken); // the reset ended the old sessions
    expect(session.accessToken).not.toBe(auth.authorization);
    const { qrCodeString } = (await app.gql(`mutation { createTotpDevice { ... on CreateTotpDeviceOk { qrCodeString } } }`, {}, auth)).data.createTotpDevice;
    const totp = (URI.parse(qrCodeString) as TOTP).generate({ timestamp: app.clock.now().getTime() });
    await app.gql(`mutation($totp: String!) { verifyTotpDevice(deviceName: "TOTP Device 0", totp: $totp) { __typename } }`, { totp }, auth);
    expect((await signIn(app, "support@example.com", "reset by support")).__typename).toBe("MfaRequired");
    const MFA = `mutation($id: ID!) { resetUserMfa(userId: $id) { ${STATUS} ... on ResetUserMfaOk { devicesRemoved } } }`;
    expect((await app.gql(MFA, { id: user.id }, ADMIN)).data.resetUserMfa).toMatchObject({ __typename: "ResetUserMfaOk", devicesRemoved: 1 });
    expect((await signIn(app, "support@example.com", "reset by support")).__typename).toBe("SignInEmailPasswordOk"); // no MfaRequired
  });

  it("adds the custom claims hook's claims to access tokens, never over the standard ones", async () => {
    const { user, session } = await signUp(app, "claims@example.com");
    const claims = decodeJwt(session.accessToken);
    expect(claims).toMatchObject({ org: `org-of-${user.id.slice(0, 8)}`, sub: user.id, roles: ["user", "me", "editor"] });
    const refreshed = (
      await app.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { ... on RefreshSessionOk { session { accessToken } } } }`, {
        t: session.refreshToken,
      })
    ).data.refreshSession;
    expect(decodeJwt(refreshed.session.accessToken)).toMatchObject({ org: `org-of-${user.id.slice(0, 8)}`, sub: user.id });
  });
});
