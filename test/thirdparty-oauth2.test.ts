/**
 * OAuth2-only providers (no OpenID Connect): the GitHub preset pointed at a
 * GitHub-compatible server on 127.0.0.1 (as a GitHub Enterprise install would be),
 * since github.com cannot be reached from here. The server checks PKCE like
 * GitHub does and serves /user and /user/emails.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, startApp, type TestApp } from "./helpers.js";

const REDIRECT_URI = "http://app.test/callback";
const TOKEN = "gho_test_access_token";

interface GitHubAccount {
  user: { id: number; login: string; name: string | null; avatar_url: string };
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}

async function startGitHub(account: { current: GitHubAccount }): Promise<{ base: string; close(): Promise<void> }> {
  const codes = new Map<string, string>(); // code -> PKCE challenge
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url!, "http://127.0.0.1");
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === "/login/oauth/authorize") {
      const code = `code-${codes.size}`;
      codes.set(code, url.searchParams.get("code_challenge")!);
      const back = new URL(url.searchParams.get("redirect_uri")!);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state")!);
      response.writeHead(302, { location: back.toString() }).end();
      return;
    }
    if (url.pathname === "/login/oauth/access_token" && request.method === "POST") {
      let body = "";
      for await (const chunk of request) body += chunk;
      const form = new URLSearchParams(body);
      const challenge = codes.get(form.get("code") ?? "");
      codes.delete(form.get("code") ?? "");
      const verifier = form.get("code_verifier") ?? "";
      if (!challenge || createHash("sha256").update(verifier).digest("base64url") !== challenge || form.get("client_secret") !== "gh-secret") {
        return send(400, { error: "bad_verification_code" });
      }
      return send(200, { access_token: TOKEN, token_type: "bearer", scope: "read:user,user:email" });
    }
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { message: "Bad credentials" });
    if (url.pathname === "/api/v3/user") return send(200, account.current.user);
    if (url.pathname === "/api/v3/user/emails") return send(200, account.current.emails);
    send(404, { message: "Not Found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe.each(DATABASES)("OAuth2 providers: the GitHub preset (%s)", (kind) => {
  let app: TestApp;
  let github: Awaited<ReturnType<typeof startGitHub>>;
  const account = {
    current: {
      user: { id: 583231, login: "octocat", name: "The Octocat", avatar_url: "https://avatars.example/octocat.png" },
      emails: [
        { email: "old@github.test", primary: false, verified: true },
        { email: "Octo@GitHub.test", primary: true, verified: true },
      ],
    } as GitHubAccount,
  };
  beforeAll(async () => {
    github = await startGitHub(account);
    const providers = [
      {
        id: "github",
        clientId: "gh-client",
        clientSecret: "gh-secret",
        authorizationEndpoint: `${github.base}/login/oauth/authorize`,
        tokenEndpoint: `${github.base}/login/oauth/access_token`,
        apiUrl: `${github.base}/api/v3`,
      },
    ];
    app = await startApp(kind, { env: { THIRD_PARTY_PROVIDERS: JSON.stringify(providers) } });
  });
  afterAll(async () => {
    await app?.close();
    await github?.close();
  });

  async function signIn() {
    const started = (
      await app.gql(
        `mutation { thirdPartyAuthorisationUrl(providerId: "github", redirectURI: "${REDIRECT_URI}") { ... on ThirdPartyAuthorisationUrlOk { url } } }`,
      )
    ).data.thirdPartyAuthorisationUrl;
    const url = new URL(started.url);
    expect(url.searchParams.get("scope")).toBe("read:user user:email");
    expect(url.searchParams.get("nonce")).toBeNull(); // not OpenID Connect
    const back = new URL((await fetch(url, { redirect: "manual" })).headers.get("location")!);
    const result = await app.gql(
      `mutation($code: String!, $state: String!) { thirdPartySignInUp(providerId: "github", redirectURI: "${REDIRECT_URI}", code: $code, state: $state) {
        __typename ... on AuthError { message } ... on ThirdPartySignInUpOk { createdNewUser user { email emailVerified displayName avatarUrl loginMethods { thirdParty { id userId } } } } } }`,
      { code: back.searchParams.get("code"), state: back.searchParams.get("state") },
    );
    return result.data.thirdPartySignInUp;
  }

  it("reads the profile and the primary email, verified as GitHub says", async () => {
    expect(await signIn()).toMatchObject({
      __typename: "ThirdPartySignInUpOk",
      createdNewUser: true,
      user: {
        email: "octo@github.test",
        emailVerified: true,
        displayName: "The Octocat",
        avatarUrl: "https://avatars.example/octocat.png",
        loginMethods: [{ thirdParty: { id: "github", userId: "583231" } }],
      },
    });
    expect(await signIn()).toMatchObject({ createdNewUser: false });
  });

  it("keeps an unverified primary email unverified, and needs one", async () => {
    account.current = {
      user: { ...account.current.user, id: 1, login: "newbie", name: null },
      emails: [{ email: "newbie@github.test", primary: true, verified: false }],
    };
    expect(await signIn()).toMatchObject({ user: { email: "newbie@github.test", emailVerified: false, displayName: "newbie" } });
    account.current = { user: { ...account.current.user, id: 2, login: "private" }, emails: [] };
    expect((await signIn()).__typename).toBe("NoEmailGivenByProviderError");
  });
});
