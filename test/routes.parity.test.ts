/**
 * The REST flows (GET /verify, /signin/provider/*) call the same recipe APIs as
 * the GraphQL fields: each route answers as its mutation does under tenant
 * policy and disabled APIs, and records the real client.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DATABASES, bearer, signUp, startApp, type TestApp } from "./helpers.js";
import { startOidcProvider, type TestProvider } from "./oidc-provider.js";

const ADMIN = { "x-admin-secret": "admin-secret-0123456789abcdef" };
const ROUTE_CALLBACK = "http://auth.test/signin/provider/local/callback";
const REDIRECT_URI = "http://app.test/callback";
const RESULT = `__typename ... on AuthResult { status }`;
const UPDATE_TENANT = `mutation($config: TenantConfigInput!) { updateTenant(id: "public", config: $config) { ${RESULT} } }`;
const AUTH_URL = `mutation($redirectURI: String!) { thirdPartyAuthorisationUrl(providerId: "local", redirectURI: $redirectURI) { ${RESULT} ... on ThirdPartyAuthorisationUrlOk { url } } }`;
const SIGN_IN_UP = `mutation($code: String!, $state: String!, $iss: String) {
  thirdPartySignInUp(providerId: "local", redirectURI: "${REDIRECT_URI}", code: $code, state: $state, iss: $iss) { ${RESULT} } }`;
const RESET = `mutation($token: String!) { resetPassword(token: $token, newPassword: "a brand new passphrase") { ${RESULT} } }`;

/** The newest /verify link mailed to `to`, as a path and query. */
async function mailedLink(app: TestApp, to: string): Promise<string> {
  await app.auth.deps.idle();
  const link = new URL(/http:\/\/auth\.test\/verify\S+/.exec(app.outbox.last(to)!.text)![0]);
  return `${link.pathname}${link.search}`;
}

/** Where a route sent the browser. */
async function landing(app: TestApp, path: string, headers: Record<string, string> = {}): Promise<URL> {
  const response = await app.fetch(path, { redirect: "manual", headers });
  expect(response.status).toBe(302);
  return new URL(response.headers.get("location")!);
}

describe.each(DATABASES)("routes and their mutations under tenant policy (%s)", (kind) => {
  let app: TestApp;
  let idp: TestProvider;
  beforeAll(async () => {
    idp = await startOidcProvider([REDIRECT_URI, ROUTE_CALLBACK]);
    const providers = [
      { id: "local", issuer: idp.issuer, clientId: idp.clients.web.clientId, clientSecret: idp.clients.web.clientSecret, scopes: ["openid", "email"] },
    ];
    app = await startApp(kind, {
      env: {
        THIRD_PARTY_PROVIDERS: JSON.stringify(providers),
        ADMIN_SECRET: ADMIN["x-admin-secret"],
        EMAIL_LINK_TARGET: "server",
        PASSWORDLESS_LINK_TARGET: "server",
      },
    });
  });
  beforeEach(async () => {
    app.clock.set(Date.now());
    await app.gql(UPDATE_TENANT, { config: {} }, ADMIN);
  });
  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });
  const firstFactors = (factors: string[]) => app.gql(UPDATE_TENANT, { config: { firstFactors: factors } }, ADMIN);

  it("GET /signin/provider/:id is refused, as thirdPartyAuthorisationUrl is, where the tenant offers no provider sign-in", async () => {
    await firstFactors(["emailpassword"]);
    const landed = await landing(app, "/signin/provider/local?redirectTo=http%3A%2F%2Fapp.test%2Fwelcome");
    expect(landed.origin).toBe("http://app.test");
    expect(landed.searchParams.get("error")).toBe("INVALID_INPUT_ERROR");
    expect((await app.gql(AUTH_URL, { redirectURI: REDIRECT_URI })).data.thirdPartyAuthorisationUrl.__typename).toBe("InvalidInputError");
  });

  it("a provider callback is refused, as thirdPartySignInUp is, once the tenant stops offering provider sign-in", async () => {
    idp.accounts.pat = { email: "pat@idp.test", email_verified: true };
    const users = await app.auth.deps.prisma.user.count();
    // Started through the route while allowed, finished after the tenant's admins narrowed it.
    const started = await app.fetch("/signin/provider/local", { redirect: "manual" });
    const back = await idp.authorize(started.headers.get("location")!, "pat");
    const viaMutation = await idp.authorize((await app.gql(AUTH_URL, { redirectURI: REDIRECT_URI })).data.thirdPartyAuthorisationUrl.url, "pat");
    await firstFactors(["emailpassword"]);

    // The browser that started it brings its binding cookie back.
    const cookie = started.headers
      .getSetCookie()
      .map((set) => set.split(";")[0])
      .join("; ");
    const landed = await landing(app, back.pathname + back.search, { cookie });
    expect(landed.searchParams.get("error")).toBe("INVALID_INPUT_ERROR");
    expect(landed.searchParams.get("refreshToken")).toBeNull();
    const code = { code: viaMutation.searchParams.get("code"), state: viaMutation.searchParams.get("state"), iss: viaMutation.searchParams.get("iss") };
    expect((await app.gql(SIGN_IN_UP, code)).data.thirdPartySignInUp.__typename).toBe("InvalidInputError");
    expect(await app.auth.deps.prisma.user.count()).toBe(users);
  });

  it("GET /verify?type=passwordReset gives no session, as resetPassword gives no reset, where the tenant offers no password sign-in", async () => {
    await signUp(app, "reset-policy@example.com");
    await app.gql(`mutation { sendPasswordResetEmail(email: "reset-policy@example.com") { __typename } }`);
    const link = await mailedLink(app, "reset-policy@example.com");
    await firstFactors(["thirdparty"]);

    const landed = await landing(app, link);
    expect(landed.searchParams.get("error")).toBe("INVALID_INPUT_ERROR");
    expect(landed.searchParams.get("refreshToken")).toBeNull();
    const token = new URL(`http://auth.test${link}`).searchParams.get("ticket");
    expect((await app.gql(RESET, { token })).data.resetPassword.__typename).toBe("InvalidInputError");
    // Nothing was spent: with the policy back, the same link works.
    await app.gql(UPDATE_TENANT, { config: {} }, ADMIN);
    expect((await landing(app, link)).searchParams.get("refreshToken")).toBeTruthy();
  });

  it("GET /verify?type=signinPasswordless is refused, as consumeCode is, where the tenant offers no passwordless sign-in", async () => {
    const flow = (await app.gql(`mutation { createCode(email: "link-policy@example.com") { ... on CreateCodeOk { preAuthSessionId deviceId } } }`)).data
      .createCode;
    const link = await mailedLink(app, "link-policy@example.com");
    await firstFactors(["emailpassword"]);
    const landed = await landing(app, link);
    expect(landed.searchParams.get("error")).toBe("INVALID_INPUT_ERROR");
    expect(landed.searchParams.get("refreshToken")).toBeNull();
    const linkCode = new URL(`http://auth.test${link}`).searchParams.get("ticket");
    const consumed = await app.gql(`mutation($p: String!, $l: String!) { consumeCode(preAuthSessionId: $p, linkCode: $l) { ${RESULT} } }`, {
      p: flow.preAuthSessionId,
      l: linkCode,
    });
    expect(consumed.data.consumeCode.__typename).toBe("InvalidInputError");
    expect(await app.auth.deps.accounts.byEmail("public", "link-policy@example.com")).toBeNull();
  });

  it("GET /verify?type=emailVerify verifies but opens no session where the tenant offers no sign-in by address", async () => {
    await signUp(app, "verify-policy@example.com");
    const link = await mailedLink(app, "verify-policy@example.com");
    await firstFactors(["thirdparty"]);
    const landed = await landing(app, link);
    expect(landed.searchParams.get("error")).toBeNull();
    expect(landed.searchParams.get("refreshToken")).toBeNull();
    expect((await app.auth.deps.accounts.byEmail("public", "verify-policy@example.com"))!.emailVerified).toBe(true);
  });
});

describe.each(DATABASES)("routes with an API disabled by the embedder (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, {
      env: { EMAIL_LINK_TARGET: "server" },
      recipes: { emailpassword: { override: { apis: (original) => ({ ...original, resetPassword: undefined }) } } },
    });
  });
  afterAll(() => app?.close());

  it("GET /verify?type=passwordReset neither resets nor signs in when resetPassword is disabled", async () => {
    const { session } = await signUp(app, "disabled-reset@example.com");
    await app.gql(`mutation { sendPasswordResetEmail(email: "disabled-reset@example.com") { __typename } }`);
    const landed = await landing(app, await mailedLink(app, "disabled-reset@example.com"));
    expect(landed.searchParams.get("error")).toBe("INVALID_REQUEST");
    expect(landed.searchParams.get("refreshToken")).toBeNull();
    expect((await app.gql(`{ me { id } }`, {}, bearer(session.accessToken))).data.me).not.toBeNull();
  });
});

describe("routes over real HTTP", () => {
  let app: TestApp;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    app = await startApp("pglite", { env: { EMAIL_LINK_TARGET: "server" } });
    server = createServer(app.auth.yoga);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await app?.close();
  });

  it("records the client's address for a session opened through GET /verify, as for one opened by a mutation", async () => {
    await signUp(app, "ip@example.com");
    const response = await fetch(`${base}${await mailedLink(app, "ip@example.com")}`, { redirect: "manual" });
    const refreshToken = new URL(response.headers.get("location")!).searchParams.get("refreshToken")!;
    const refreshed = await app.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { ... on RefreshSessionOk { session { accessToken } } } }`, {
      t: refreshToken,
    });
    const { sessions } = (await app.gql(`{ sessions { ip current } }`, {}, bearer(refreshed.data.refreshSession.session.accessToken))).data;
    expect(sessions.find((session: { current: boolean }) => session.current).ip).toMatch(/127\.0\.0\.1/);
  });
});
