/**
 * A real OpenID provider for the tests: the `oidc-provider` package on
 * 127.0.0.1, with its development login and consent pages, driven the way a
 * browser would (following redirects by hand, keeping cookies, posting the
 * forms). Its signing key is made here, so tests can also mint ID tokens the
 * provider "issued" with chosen claims (expired, wrong audience, ...).
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT } from "jose";
import Provider from "oidc-provider";

export interface Account {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface TestProvider {
  issuer: string;
  clients: { web: { clientId: string; clientSecret: string }; native: { clientId: string } };
  accounts: Record<string, Account>;
  /** Follows an authorization URL as `accountId` through login and consent; answers the redirect back (to the client's redirect URI). */
  authorize(url: string, accountId: string): Promise<URL>;
  /** An ID token signed with the provider's key; `claims` override the defaults (iss, aud, sub, iat, exp). */
  idToken(claims: Record<string, unknown>, options?: { key?: KeyObject; alg?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startOidcProvider(
  redirectUris: string[],
  options: { port?: number /** Any login name signs in as <name>@example.com (verified): for trying the server by hand. */; anyAccount?: boolean } = {},
): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: "test-key", alg: "ES256", use: "sig" };
  const accounts: Record<string, Account> = {};
  const web = { clientId: "web-app", clientSecret: "web-app-secret-0123456789abcdef" };
  const native = { clientId: "native-app" };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: web.clientId,
        client_secret: web.clientSecret,
        redirect_uris: redirectUris,
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
        id_token_signed_response_alg: "ES256",
      },
      { client_id: native.clientId, token_endpoint_auth_method: "none", redirect_uris: ["com.example.app:/callback"], application_type: "native" },
    ],
    jwks: { keys: [jwk as never] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    findAccount: (_ctx: unknown, id: string) => {
      const account =
        accounts[id] ??
        (options.anyAccount ? { email: `${id.toLowerCase().replace(/[^a-z0-9.-]/g, "")}@example.com`, email_verified: true, name: id } : undefined);
      return account ? { accountId: id, claims: () => ({ sub: id, ...account }) } : undefined;
    },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ["test-cookie-key"] },
    pkce: { required: () => true },
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 600, Grant: 600, RefreshToken: 86400 },
  });
  server.on("request", provider.callback());

  const cookies = new Map<string, string>();
  async function step(url: URL, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string>), cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join("; ") },
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const index = pair!.indexOf("=");
      cookies.set(pair!.slice(0, index), pair!.slice(index + 1));
    }
    return response;
  }

  return {
    issuer,
    clients: { web, native },
    accounts,
    async authorize(authorizationUrl, accountId) {
      cookies.clear();
      let url = new URL(authorizationUrl);
      for (let hop = 0; hop < 12; hop++) {
        if (!url.href.startsWith(issuer)) return url; // back at the client
        const response = await step(url);
        if (response.status === 200) {
          // A login or consent page: submit it like the browser would.
          const html = await response.text();
          const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
          const action = /action="([^"]+)"/.exec(html)?.[1];
          if (!prompt || !action) throw new Error(`unexpected page from the provider: ${html.slice(0, 300)}`);
          const form = new URLSearchParams(prompt === "login" ? { prompt, login: accountId, password: "any" } : { prompt });
          const submitted = await step(new URL(action, issuer), {
            method: "POST",
            body: form,
            headers: { "content-type": "application/x-www-form-urlencoded" },
          });
          url = new URL(submitted.headers.get("location")!, issuer);
          continue;
        }
        const location = response.headers.get("location");
        if (!location) throw new Error(`the provider answered ${response.status}: ${await response.text()}`);
        url = new URL(location, issuer);
      }
      throw new Error("too many redirects");
    },
    async idToken(claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: issuer, aud: native.clientId, sub: "native-user", iat: now, exp: now + 600, ...claims };
      return new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? "ES256", kid: "test-key", typ: "JWT" }).sign(options.key ?? privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
