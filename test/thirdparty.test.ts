import { createHash, generateKeyPairSync } from "node:crypto";
import { type TOTP, URI } from "otpauth";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DATABASES, SESSION_FIELDS, bearer, emailedToken, signUp, startApp, type TestApp } from "./helpers.js";
import { startOidcProvider, type TestProvider } from "./oidc-provider.js";

const REDIRECT_URI = "http://app.test/callback";
const ROUTE_CALLBACK = "http://auth.test/signin/provider/local/callback";

const RESULT = `__typename ... on AuthResult { status } ... on AuthError { message }`;
const AUTH_URL = `mutation($providerId: String!, $redirectURI: String!) { thirdPartyAuthorisationUrl(providerId: $providerId, redirectURI: $redirectURI) {
  ${RESULT} ... on ThirdPartyAuthorisationUrlOk { url state } ... on InvalidInputError { fieldErrors { id error } } } }`;
const SIGN_IN_UP = `mutation($providerId: String!, $redirectURI: String!, $code: String!, $state: String!, $iss: String) {
  thirdPartySignInUp(providerId: $providerId, redirectURI: $redirectURI, code: $code, state: $state, iss: $iss) {
    ${RESULT} ... on FieldError { error } ... on SignInUpNotAllowedError { reason } ... on MfaRequired { ticket }
    ... on ThirdPartySignInUpOk { createdNewUser user { id email emailVerified displayName loginMethods { recipeId email verified thirdParty { id userId } } }
      ${SESSION_FIELDS} providerSession { accessToken refreshToken idToken expiresIn scope } } } }`;
const ID_TOKEN = `mutation($providerId: String!, $idToken: String!, $nonce: String) { signInIdToken(providerId: $providerId, idToken: $idToken, nonce: $nonce) {
  ${RESULT} ... on FieldError { error } ... on SignInUpNotAllowedError { reason } ... on MfaRequired { ticket factors }
  ... on InvalidInputError { fieldErrors { id error } } ... on SignInIdTokenOk { createdNewUser user { id email emailVerified } ${SESSION_FIELDS} } } }`;
const LINK = `mutation($idToken: String!, $nonce: String) { linkIdToken(providerId: "local", idToken: $idToken, nonce: $nonce) {
  ${RESULT} ... on LinkIdTokenOk { wasAlreadyLinked } } }`;
const REFRESH = `mutation($refreshToken: String) { refreshProviderToken(providerId: "local", refreshToken: $refreshToken) {
  ${RESULT} ... on RefreshProviderTokenOk { providerSession { accessToken refreshToken } } } }`;

/** The name=value of a response's Set-Cookie, as a browser would send it back. */
const cookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";")[0])
    .join("; ");

describe.each(DATABASES)("third-party sign-in with a real OpenID provider (%s)", (kind) => {
  let app: TestApp;
  let idp: TestProvider;
  let providers: object[];
  beforeAll(async () => {
    idp = await startOidcProvider([REDIRECT_URI, ROUTE_CALLBACK]);
    providers = [
      {
        id: "local",
        name: "Local IdP",
        issuer: idp.issuer,
        clientId: idp.clients.web.clientId,
        clientSecret: idp.clients.web.clientSecret,
        audiences: [idp.clients.native.clientId],
        scopes: ["openid", "email", "profile", "offline_access"],
        authorizationParams: { prompt: "consent" },
        storeTokens: true,
      },
    ];
    app = await startApp(kind, { env: { THIRD_PARTY_PROVIDERS: JSON.stringify(providers) } });
  });
  beforeEach(() => app.clock.set(Date.now())); // the provider's tokens carry real times
  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  /** Runs the browser part for `account`: the callback's query (code, state, iss). */
  async function authorize(account: string, redirectURI = REDIRECT_URI) {
    const started = (await app.gql(AUTH_URL, { providerId: "local", redirectURI })).data.thirdPartyAuthorisationUrl;
    expect(started.__typename).toBe("ThirdPartyAuthorisationUrlOk");
    const back = await idp.authorize(started.url, account);
    return { url: new URL(started.url), back, code: back.searchParams.get("code")!, state: back.searchParams.get("state")!, iss: back.searchParams.get("iss") };
  }
  const signInUp = async (callback: { code: string; state: string; iss: string | null }, redirectURI = REDIRECT_URI) =>
    (await app.gql(SIGN_IN_UP, { providerId: "local", redirectURI, ...callback })).data.thirdPartySignInUp;

  it("lists the tenant's providers", async () => {
    expect((await app.gql(`{ thirdPartyProviders { id name } }`)).data.thirdPartyProviders).toEqual([{ id: "local", name: "Local IdP" }]);
    expect((await app.gql(`{ thirdPartyProviders(tenantId: "public") { id } }`)).data.thirdPartyProviders).toHaveLength(1);
    const { authConfig } = (await app.gql(`{ authConfig { firstFactors thirdPartyProviders { id name } } }`)).data;
    expect(authConfig.firstFactors).toContain("thirdparty");
    expect(authConfig.thirdPartyProviders).toEqual([{ id: "local", name: "Local IdP" }]);
  });

  it("signs a new user up through authorization code + PKCE + state + nonce, then signs them in", async () => {
    idp.accounts.alice = { email: "Alice@IdP.test", email_verified: true, name: "Alice" };
    const flow = await authorize("alice");
    expect(Object.fromEntries(flow.url.searchParams)).toMatchObject({
      client_id: idp.clients.web.clientId,
      redirect_uri: REDIRECT_URI,
      response_type: "code",
      code_challenge_method: "S256",
      scope: "openid email profile offline_access",
      state: expect.any(String),
      nonce: expect.any(String),
      code_challenge: expect.any(String),
    });
    expect(flow.back.origin + flow.back.pathname).toBe(REDIRECT_URI);
    expect(flow.iss).toBe(idp.issuer); // RFC 9207
    const result = await signInUp(flow);
    expect(result).toMatchObject({
      __typename: "ThirdPartySignInUpOk",
      createdNewUser: true,
      user: {
        email: "alice@idp.test",
        emailVerified: true,
        displayName: "Alice",
        loginMethods: [{ recipeId: "thirdparty", email: "alice@idp.test", verified: true, thirdParty: { id: "local", userId: "alice" } }],
      },
      providerSession: { accessToken: expect.any(String), refreshToken: expect.any(String), idToken: expect.any(String), expiresIn: expect.any(Number) },
    });
    expect((await app.gql(`{ me { id } }`, {}, bearer(result.session.accessToken))).data.me.id).toBe(result.user.id);
    // Provider tokens are kept sealed.
    const kept = await app.auth.deps.prisma.providerToken.findFirstOrThrow({ where: { userId: result.user.id } });
    expect(kept.accessTokenEncrypted).not.toContain(result.providerSession.accessToken);

    const again = await signInUp(await authorize("alice"));
    expect(again).toMatchObject({ __typename: "ThirdPartySignInUpOk", createdNewUser: false, user: { id: result.user.id } });

    // The provider's refresh token renews its access token.
    const refreshed = (await app.gql(REFRESH, {}, bearer(again.session.accessToken))).data.refreshProviderToken;
    expect(refreshed.__typename).toBe("RefreshProviderTokenOk");
    expect(refreshed.providerSession.accessToken).not.toBe(again.providerSession.accessToken);
    expect((await app.gql(REFRESH, { refreshToken: "not-a-token" }, bearer(again.session.accessToken))).data.refreshProviderToken.__typename).toBe(
      "GeneralError",
    );
    expect((await app.gql(REFRESH, {})).data.refreshProviderToken.__typename).toBe("UnauthorisedError");
  });

  it("refuses replayed, mismatched, foreign and expired state, and a replayed code", async () => {
    idp.accounts.stateful = { email: "stateful@idp.test", email_verified: true };
    const flow = await authorize("stateful");
    expect((await signInUp({ ...flow, state: "made-up-state" })).__typename).toBe("InvalidStateError");
    expect((await signInUp(flow, "http://app.test/other")).__typename).toBe("InvalidStateError"); // bound to its redirect URI...
    const fresh = await authorize("stateful");
    expect((await signInUp(fresh)).__typename).toBe("ThirdPartySignInUpOk");
    expect((await signInUp(fresh)).__typename).toBe("InvalidStateError"); // ...and single-use
    // The used code with a new state (and so another PKCE verifier): the provider refuses it.
    const next = await authorize("stateful");
    const replayed = await signInUp({ ...next, code: fresh.code });
    expect(replayed).toMatchObject({ __typename: "FieldError", status: "FIELD_ERROR", error: expect.stringContaining("invalid_grant") });
    const late = await authorize("stateful");
    app.clock.advance(601); // states live 10 minutes
    expect((await signInUp(late)).__typename).toBe("InvalidStateError");
  });

  it("refuses an authorization response from another issuer (RFC 9207)", async () => {
    idp.accounts.mixup = { email: "mixup@idp.test", email_verified: true };
    const flow = await authorize("mixup");
    const result = await signInUp({ ...flow, iss: "http://evil.test" });
    expect(result.__typename).toBe("FieldError");
  });

  it("refuses bad redirect URIs and unknown providers", async () => {
    const outside = (await app.gql(AUTH_URL, { providerId: "local", redirectURI: "https://evil.test/callback" })).data.thirdPartyAuthorisationUrl;
    expect(outside).toMatchObject({ __typename: "InvalidInputError", fieldErrors: [{ id: "redirectURI" }] });
    const unknown = (await app.gql(AUTH_URL, { providerId: "nope", redirectURI: REDIRECT_URI })).data.thirdPartyAuthorisationUrl;
    expect(unknown).toMatchObject({ __typename: "InvalidInputError", fieldErrors: [{ id: "providerId" }] });
  });

  it("answers NoEmailGivenByProviderError for an account without email", async () => {
    idp.accounts.anon = { name: "No Email" };
    expect((await signInUp(await authorize("anon"))).__typename).toBe("NoEmailGivenByProviderError");
  });

  it("links to an existing user only when both sides verified the email; an unproven account starts clean", async () => {
    const { user } = await signUp(app, "bob@idp.test");
    const verified = await app.gql(`mutation($t: String!) { verifyEmail(token: $t) { __typename } }`, { t: await emailedToken(app, "bob@idp.test") });
    expect(verified.data.verifyEmail.__typename).toBe("VerifyEmailOk");
    idp.accounts.bob = { email: "bob@idp.test", email_verified: true };
    const linked = await signInUp(await authorize("bob"));
    expect(linked).toMatchObject({ __typename: "ThirdPartySignInUpOk", createdNewUser: false, user: { id: user.id } });
    expect(linked.user.loginMethods.map((method: { recipeId: string }) => method.recipeId)).toEqual(["emailpassword", "thirdparty"]);

    // Registered with a password nobody proved: the provider's verified owner of the address gets it, without that password.
    const squatter = await signUp(app, "bea@idp.test");
    idp.accounts.bea = { email: "bea@idp.test", email_verified: true };
    const claimed = await signInUp(await authorize("bea"));
    expect(claimed).toMatchObject({ __typename: "ThirdPartySignInUpOk", createdNewUser: false, user: { id: squatter.user.id, emailVerified: true } });
    expect(claimed.user.loginMethods.map((method: { recipeId: string }) => method.recipeId)).toEqual(["thirdparty"]);

    // The provider does not vouch for the address: no linking, whatever the account.
    await signUp(app, "carol@idp.test");
    await app.gql(`mutation($t: String!) { verifyEmail(token: $t) { __typename } }`, { t: await emailedToken(app, "carol@idp.test") });
    idp.accounts.carol = { email: "carol@idp.test", email_verified: false };
    expect((await signInUp(await authorize("carol"))).__typename).toBe("SignInUpNotAllowedError");
    // A new user with an unverified provider email starts unverified.
    idp.accounts.dave = { email: "dave@idp.test", email_verified: false };
    expect(await signInUp(await authorize("dave"))).toMatchObject({ createdNewUser: true, user: { emailVerified: false } });
  });

  it("gives a user made by the redirect flow the sign-in URL's options (Nhost's signInProviderURL), and refuses bad ones", async () => {
    idp.accounts.fiona = { email: "fiona@idp.test", email_verified: true };
    const query = new URLSearchParams({
      redirectTo: "http://app.test/welcome",
      allowedRoles: "me,user",
      defaultRole: "me",
      displayName: "Fiona",
      locale: "fr",
      metadata: JSON.stringify({ plan: "pro" }),
    });
    const start = await app.fetch(`/signin/provider/local?${query}`);
    const back = await idp.authorize(start.headers.get("location")!, "fiona");
    const landed = new URL((await app.fetch(back.pathname + back.search, { headers: { cookie: cookieOf(start) } })).headers.get("location")!);
    const refreshed = await app.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { ... on RefreshSessionOk { session { accessToken } } } }`, {
      t: landed.searchParams.get("refreshToken"),
    });
    const me = await app.gql(`{ me { roles defaultRole displayName locale metadata } }`, {}, bearer(refreshed.data.refreshSession.session.accessToken));
    expect(me.data.me).toEqual({ roles: ["me", "user"], defaultRole: "me", displayName: "Fiona", locale: "fr", metadata: { plan: "pro" } });
    for (const bad of [{ allowedRoles: "admin" }, { metadata: "{not json" }, { metadata: "[1,2]" }, { locale: "not a locale" }] as Array<
      Record<string, string>
    >) {
      const refused = await app.fetch(`/signin/provider/local?${new URLSearchParams({ redirectTo: "http://app.test/welcome", ...bad })}`);
      expect(new URL(refused.headers.get("location")!).searchParams.get("error"), JSON.stringify(bad)).toBe("INVALID_INPUT_ERROR");
    }
  });

  it("runs the same flow through the redirect routes, GET and POST callbacks", async () => {
    idp.accounts.erin = { email: "erin@idp.test", email_verified: true };
    const start = await app.fetch("/signin/provider/local?redirectTo=http%3A%2F%2Fapp.test%2Fwelcome");
    expect(start.status).toBe(302);
    const browser = { cookie: cookieOf(start) };
    const back = await idp.authorize(start.headers.get("location")!, "erin");
    expect(back.origin + back.pathname).toBe(ROUTE_CALLBACK);
    const landed = await app.fetch(back.pathname + back.search, { headers: browser });
    expect(landed.headers.get("referrer-policy")).toBe("no-referrer");
    const target = new URL(landed.headers.get("location")!);
    expect(target.origin + target.pathname).toBe("http://app.test/welcome");
    const refreshToken = target.searchParams.get("refreshToken")!;
    const refreshed = await app.gql(`mutation($t: String!) { refreshSession(refreshToken: $t) { __typename } }`, { t: refreshToken });
    expect(refreshed.data.refreshSession.__typename).toBe("RefreshSessionOk");
    // The same callback again: the state is spent.
    const replay = new URL((await app.fetch(back.pathname + back.search, { headers: browser })).headers.get("location")!);
    expect(replay.searchParams.get("error")).toBe("INVALID_STATE_ERROR");

    // form_post providers (Apple) POST the answer.
    const postStart = await app.fetch("/signin/provider/local");
    const posted = await idp.authorize(postStart.headers.get("location")!, "erin");
    const viaPost = await app.fetch("/signin/provider/local/callback", {
      method: "POST",
      body: posted.searchParams,
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieOf(postStart) },
    });
    expect(new URL(viaPost.headers.get("location")!).searchParams.get("refreshToken")).toBeTruthy();

    expect((await app.fetch("/signin/provider/local?redirectTo=https%3A%2F%2Fevil.test%2F")).status).toBe(400);
    const unknown = new URL((await app.fetch("/signin/provider/nope")).headers.get("location")!);
    expect(unknown.searchParams.get("error")).toBe("INVALID_INPUT_ERROR");
  });

  it("in cookie mode, binds the GraphQL flow's state to the browser too", async () => {
    idp.accounts.frank = { email: "frank@idp.test", email_verified: true };
    const cookieApp = await startApp(kind, { env: { THIRD_PARTY_PROVIDERS: JSON.stringify(providers), SESSION_COOKIES: "on" } });
    try {
      cookieApp.clock.set(Date.now());
      const post = (query: string, variables: object, headers: Record<string, string> = {}) =>
        cookieApp.fetch("/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", origin: "http://app.test", ...headers },
          body: JSON.stringify({ query, variables }),
        });
      const start = async () => {
        const response = await post(AUTH_URL, { providerId: "local", redirectURI: REDIRECT_URI });
        const { url } = (await response.json()).data.thirdPartyAuthorisationUrl;
        const back = await idp.authorize(url, "frank");
        return {
          cookie: cookieOf(response),
          callback: { code: back.searchParams.get("code"), state: back.searchParams.get("state"), iss: back.searchParams.get("iss") },
        };
      };
      // A callback finished in another browser (no binding cookie) signs nobody in.
      const elsewhere = await start();
      const refused = await post(SIGN_IN_UP, { providerId: "local", redirectURI: REDIRECT_URI, ...elsewhere.callback });
      expect((await refused.json()).data.thirdPartySignInUp.__typename).toBe("InvalidStateError");
      // The browser that started it does.
      const here = await start();
      expect(here.cookie).toMatch(/^auth_oauth_binding=/);
      const signedIn = await post(SIGN_IN_UP, { providerId: "local", redirectURI: REDIRECT_URI, ...here.callback }, { cookie: here.cookie });
      expect((await signedIn.json()).data.thirdPartySignInUp).toMatchObject({ __typename: "ThirdPartySignInUpOk", session: { refreshToken: null } });
      expect(signedIn.headers.getSetCookie().join("\n")).toMatch(/auth_refresh_token=[^;]+;/);
    } finally {
      await cookieApp.close();
    }
  });

  it("binds the redirect flow's state to the browser that started it (no login CSRF)", async () => {
    idp.accounts.mallory = { email: "mallory@idp.test", email_verified: true };
    // The attacker starts a sign-in in their own browser and stops at the callback URL...
    const attackers = await app.fetch("/signin/provider/local");
    const prepared = await idp.authorize(attackers.headers.get("location")!, "mallory");
    // ...which the victim's browser then opens: without the binding cookie, or with its own, nothing signs in.
    const victims = await app.fetch("/signin/provider/local");
    for (const headers of [{}, { cookie: cookieOf(victims) }] as Array<Record<string, string>>) {
      const landed = new URL((await app.fetch(prepared.pathname + prepared.search, { headers })).headers.get("location")!);
      expect(landed.searchParams.get("refreshToken")).toBeNull();
      expect(landed.searchParams.get("error")).toBe("INVALID_STATE_ERROR");
    }
    // The binding cookie is httpOnly and short-lived.
    expect(attackers.headers.get("set-cookie")).toMatch(/^auth_oauth_binding=[^;]+; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  it("signs in with ID tokens the provider issued to the native app, checking signature, issuer, audience, expiry and nonce", async () => {
    const signIn = async (idToken: string, nonce?: string) => (await app.gql(ID_TOKEN, { providerId: "local", idToken, nonce })).data.signInIdToken;
    const claims = { sub: "native-1", email: "native@idp.test", email_verified: true, nonce: "nonce-1" };
    const ok = await signIn(await idp.idToken(claims), "nonce-1");
    expect(ok).toMatchObject({ __typename: "SignInIdTokenOk", createdNewUser: true, user: { email: "native@idp.test", emailVerified: true } });
    const hashed = createHash("sha256").update("raw-nonce").digest("hex");
    expect((await signIn(await idp.idToken({ ...claims, nonce: hashed }), "raw-nonce")).createdNewUser).toBe(false);

    const now = Math.floor(Date.now() / 1000);
    const refused = {
      "wrong nonce": await signIn(await idp.idToken(claims), "nonce-2"),
      "missing nonce": await signIn(await idp.idToken(claims)),
      "another audience": await signIn(await idp.idToken({ ...claims, aud: "someone-else" }), "nonce-1"),
      "several audiences without azp": await signIn(await idp.idToken({ ...claims, aud: [idp.clients.native.clientId, "other"] }), "nonce-1"),
      expired: await signIn(await idp.idToken({ ...claims, iat: now - 7200, exp: now - 3600 }), "nonce-1"),
      "wrong issuer": await signIn(await idp.idToken({ ...claims, iss: "http://evil.test" }), "nonce-1"),
      "foreign key": await signIn(await idp.idToken(claims, { key: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey }), "nonce-1"),
      "alg none": await signIn(unsigned({ iss: idp.issuer, aud: idp.clients.native.clientId, iat: now, exp: now + 600, ...claims }), "nonce-1"),
      garbage: await signIn("not.a.token", "nonce-1"),
    };
    for (const [name, result] of Object.entries(refused)) expect(result.__typename, name).toBe("FieldError");
    expect(Object.fromEntries(Object.entries(refused).map(([name, result]) => [name, result.error]))).toMatchObject({
      "wrong nonce": expect.stringContaining("nonce"),
      "missing nonce": expect.stringContaining("nonce"),
      "another audience": expect.stringContaining('"aud"'),
      "several audiences without azp": expect.stringContaining("azp"),
      expired: expect.stringContaining('"exp"'),
      "wrong issuer": expect.stringContaining('"iss"'),
      "foreign key": expect.stringContaining("signature"),
      "alg none": expect.stringContaining('"alg"'),
    });
    const unknown = await app.gql(ID_TOKEN, { providerId: "nope", idToken: await idp.idToken(claims), nonce: "nonce-1" });
    expect(unknown.data.signInIdToken.__typename).toBe("InvalidInputError");
  });

  it("links an ID token's identity to the signed-in user (elevated), once", async () => {
    const { session } = await signUp(app, "linker@example.com");
    const auth = bearer(session.accessToken);
    const token = await idp.idToken({ sub: "linkable", email: "linkable@idp.test", email_verified: true });
    expect((await app.gql(LINK, { idToken: token }, auth)).data.linkIdToken).toMatchObject({ __typename: "LinkIdTokenOk", wasAlreadyLinked: false });
    expect((await app.gql(LINK, { idToken: token }, auth)).data.linkIdToken.wasAlreadyLinked).toBe(true);
    const identities = (await app.gql(`{ me { linkedIdentities { providerId providerUserId email verified } } }`, {}, auth)).data.me.linkedIdentities;
    expect(identities).toEqual([{ providerId: "local", providerUserId: "linkable", email: "linkable@idp.test", verified: true }]);
    // The identity now signs the linker in.
    const signedIn = (await app.gql(ID_TOKEN, { providerId: "local", idToken: token })).data.signInIdToken;
    expect(signedIn).toMatchObject({ __typename: "SignInIdTokenOk", user: { email: "linker@example.com" } });
    const other = await signUp(app, "other-linker@example.com");
    expect((await app.gql(LINK, { idToken: token }, bearer(other.session.accessToken))).data.linkIdToken.__typename).toBe("ProviderAccountAlreadyLinkedError");
    expect((await app.gql(LINK, { idToken: token })).data.linkIdToken.__typename).toBe("UnauthorisedError");
    app.clock.advance(301);
    const fresh = await idp.idToken({ sub: "late", email: "late@idp.test", email_verified: true, iat: Math.floor(app.clock.now().getTime() / 1000) });
    expect((await app.gql(LINK, { idToken: fresh }, auth)).data.linkIdToken.__typename).toBe("ElevationRequiredError");
  });

  it("unlinks an identity (elevated), never the account's last way to sign in, even two at once", async () => {
    const UNLINK = `mutation($id: String!) { unlinkIdentity(providerId: "local", providerUserId: $id) { __typename ... on ElevationRequiredError { factors } } }`;
    const unlink = async (id: string, headers: Record<string, string> = {}) => (await app.gql(UNLINK, { id }, headers)).data.unlinkIdentity.__typename;
    // A password account with an identity: the identity may go.
    const { session, user } = await signUp(app, "unlinker@example.com");
    const auth = bearer(session.accessToken);
    await app.gql(LINK, { idToken: await idp.idToken({ sub: "to-unlink", email: "to-unlink@idp.test", email_verified: true }) }, auth);
    expect(await unlink("to-unlink")).toBe("UnauthorisedError");
    expect(await unlink("someone-else", auth)).toBe("UnknownIdentityError");
    expect(await unlink("to-unlink", auth)).toBe("UnlinkIdentityOk");
    expect((await app.gql(`{ me { linkedIdentities { providerId } loginMethods { recipeId } } }`, {}, auth)).data.me).toEqual({
      linkedIdentities: [],
      loginMethods: [{ recipeId: "emailpassword" }],
    });
    // The identity no longer reaches the account.
    const again = (
      await app.gql(ID_TOKEN, { providerId: "local", idToken: await idp.idToken({ sub: "to-unlink", email: "to-unlink@idp.test", email_verified: true }) })
    ).data.signInIdToken;
    expect(again.user.id).not.toBe(user.id);
    expect(await unlink("to-unlink", auth)).toBe("UnknownIdentityError");

    // A provider-only account: its one identity stays. With two, two unlinks at once leave one.
    const only = (
      await app.gql(ID_TOKEN, { providerId: "local", idToken: await idp.idToken({ sub: "only-way", email: "only@idp.test", email_verified: true }) })
    ).data.signInIdToken;
    const onlyAuth = bearer(only.session.accessToken);
    expect(await unlink("only-way", onlyAuth)).toBe("LastSignInMethodError");
    await app.gql(LINK, { idToken: await idp.idToken({ sub: "second-way", email: "second@idp.test", email_verified: true }) }, onlyAuth);
    const both = await Promise.all([unlink("only-way", onlyAuth), unlink("second-way", onlyAuth)]);
    expect(both.sort()).toEqual(["LastSignInMethodError", "UnlinkIdentityOk"]);
    expect((await app.gql(`{ me { loginMethods { recipeId } } }`, {}, onlyAuth)).data.me.loginMethods).toEqual([{ recipeId: "thirdparty" }]);

    // Out of the elevation window: a step-up first.
    app.clock.advance(301);
    const late = await app.gql(UNLINK, { id: "second-way" }, onlyAuth);
    expect(late.data.unlinkIdentity.__typename).toBe("ElevationRequiredError");
  });

  it("connects a provider to the signed-in user through the redirect flow (Nhost's connect), finished only by the same session", async () => {
    const CONNECT = `mutation($r: String!) { thirdPartyAuthorisationUrl(providerId: "local", redirectURI: $r, connect: true) {
      ${RESULT} ... on ThirdPartyAuthorisationUrlOk { url } } }`;
    const startConnect = async (headers: Record<string, string>, redirectURI = REDIRECT_URI) =>
      (await app.gql(CONNECT, { r: redirectURI }, headers)).data.thirdPartyAuthorisationUrl;
    const finish = async (back: URL, headers: Record<string, string>) =>
      (
        await app.gql(
          SIGN_IN_UP,
          {
            providerId: "local",
            redirectURI: REDIRECT_URI,
            code: back.searchParams.get("code"),
            state: back.searchParams.get("state"),
            iss: back.searchParams.get("iss"),
          },
          headers,
        )
      ).data.thirdPartySignInUp;
    idp.accounts.gina = { email: "gina@idp.test", email_verified: true };
    const { session, user } = await signUp(app, "connector@example.com");
    const auth = bearer(session.accessToken);
    expect((await startConnect({})).__typename).toBe("UnauthorisedError");

    // A victim opening the attacker's connect link: the callback without the attacker's session links nothing.
    const attacker = await signUp(app, "attacker-connect@example.com");
    const lure = await startConnect(bearer(attacker.session.accessToken));
    const victimBack = await idp.authorize(lure.url, "gina");
    expect((await finish(victimBack, {})).__typename).toBe("InvalidStateError");
    const lure2 = await startConnect(bearer(attacker.session.accessToken));
    expect((await finish(await idp.authorize(lure2.url, "gina"), auth)).__typename).toBe("InvalidStateError");
    // Nor through the REST callback, which carries no session.
    const viaRoute = await startConnect(auth, ROUTE_CALLBACK);
    const routeBack = await idp.authorize(viaRoute.url, "gina");
    const landed = new URL((await app.fetch(routeBack.pathname + routeBack.search)).headers.get("location")!);
    expect(landed.searchParams.get("error")).toBe("INVALID_STATE_ERROR");

    const started = await startConnect(auth);
    expect(started.__typename).toBe("ThirdPartyAuthorisationUrlOk");
    const connected = await finish(await idp.authorize(started.url, "gina"), auth);
    expect(connected).toMatchObject({
      __typename: "ThirdPartySignInUpOk",
      createdNewUser: false,
      session: null,
      user: { id: user.id, email: "connector@example.com" },
    });
    expect((await app.gql(`{ me { linkedIdentities { providerId email } } }`, {}, auth)).data.me.linkedIdentities).toEqual([
      { providerId: "local", email: "gina@idp.test" },
    ]);
    // The identity now signs in to the connected account.
    expect((await signInUp(await authorize("gina"))).user.id).toBe(user.id);
    // Already someone's: refused for another account.
    const other = await signUp(app, "late-connector@example.com");
    const taken = await startConnect(bearer(other.session.accessToken));
    expect((await finish(await idp.authorize(taken.url, "gina"), bearer(other.session.accessToken))).__typename).toBe("ProviderAccountAlreadyLinkedError");
    // Starting a connect needs a fresh proof.
    app.clock.advance(301);
    expect((await startConnect(auth)).__typename).toBe("ElevationRequiredError");
  });

  it("asks for the second factor when the user has one", async () => {
    const token = () => idp.idToken({ sub: "mfa-user", email: "mfa@idp.test", email_verified: true });
    const first = (await app.gql(ID_TOKEN, { providerId: "local", idToken: await token() })).data.signInIdToken;
    const auth = bearer(first.session.accessToken);
    const created = (await app.gql(`mutation { createTotpDevice { ... on CreateTotpDeviceOk { deviceName qrCodeString } } }`, {}, auth)).data.createTotpDevice;
    const code = (URI.parse(created.qrCodeString) as TOTP).generate({ timestamp: app.clock.now().getTime() });
    await app.gql(`mutation($n: String!, $c: String!) { verifyTotpDevice(deviceName: $n, totp: $c) { __typename } }`, { n: created.deviceName, c: code }, auth);
    expect((await app.gql(ID_TOKEN, { providerId: "local", idToken: await token() })).data.signInIdToken).toMatchObject({
      __typename: "MfaRequired",
      factors: ["totp"],
    });
  });
});

/** An `alg: none` JWT: no signature at all. */
function unsigned(payload: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part(payload)}.`;
}
