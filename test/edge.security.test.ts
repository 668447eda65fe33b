/**
 * The edge, tried as an attacker would (API.md "Browser apps", configuration
 * `CORS_ORIGINS`, `TRUST_PROXY`): only the configured frontends get CORS, and
 * the client IP is the rightmost address no trusted proxy wrote, so a client
 * cannot pick its own per-IP bucket.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PASSWORD, bearer, startApp, type TestApp } from "./helpers.js";

const SIGN_UP = `mutation($email: String!) { signUpEmailPassword(email: $email, password: "${PASSWORD}") {
  __typename ... on SignUpEmailPasswordOk { session { accessToken } } } }`;
const CREATE_CODE = `mutation($email: String!) { createCode(email: $email) { __typename } }`;

let app: TestApp | undefined;
let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  await app?.close();
  app = undefined;
});

/** The app behind a real HTTP listener on 127.0.0.1 (the peer every request comes from). */
async function listening(env: Record<string, string>): Promise<(body: object, headers?: Record<string, string>) => Promise<any>> {
  app = await startApp("pglite", { env });
  server = createServer(app.auth.yoga);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return async (body, headers = {}) =>
    (await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) })).json();
}

describe("CORS", () => {
  for (const mode of ["development", "production"]) {
    it(`grants only the configured frontends, with credentials (${mode})`, async () => {
      app = await startApp("pglite", {
        env: { NODE_ENV: mode, ALLOWED_REDIRECT_URLS: "https://admin.example.com/after", SMTP_URL: "smtp://127.0.0.1:1" },
      });
      const preflight = (origin: string) =>
        app!.fetch("/graphql", {
          method: "OPTIONS",
          headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
        });
      for (const allowed of ["http://app.test", "https://admin.example.com"]) {
        const answer = await preflight(allowed);
        expect(answer.headers.get("access-control-allow-origin")).toBe(allowed);
        expect(answer.headers.get("access-control-allow-credentials")).toBe("true");
      }
      for (const other of ["https://evil.example", "http://app.test.evil.example", "null"]) {
        const answer = await preflight(other);
        expect(answer.headers.get("access-control-allow-origin"), other).toBeNull();
        expect(answer.headers.get("access-control-allow-credentials"), other).toBeNull();
        const post = await app!.fetch("/graphql", {
          method: "POST",
          headers: { origin: other, "content-type": "application/json" },
          body: JSON.stringify({ query: "{ __typename }" }),
        });
        expect(post.headers.get("access-control-allow-origin"), other).toBeNull();
      }
    });
  }

  it("takes its list from CORS_ORIGINS when set", async () => {
    app = await startApp("pglite", { env: { CORS_ORIGINS: "https://one.example,https://two.example" } });
    const origin = async (value: string) =>
      (await app!.fetch("/graphql", { method: "OPTIONS", headers: { origin: value, "access-control-request-method": "POST" } })).headers.get(
        "access-control-allow-origin",
      );
    expect(await origin("https://two.example")).toBe("https://two.example");
    expect(await origin("http://app.test")).toBeNull();
  });
});

describe("the client IP", () => {
  const ipOf = async (gql: Awaited<ReturnType<typeof listening>>, email: string, forwardedFor?: string) => {
    const headers: Record<string, string> = forwardedFor ? { "x-forwarded-for": forwardedFor } : {};
    const { session } = (await gql({ query: SIGN_UP, variables: { email } }, headers)).data.signUpEmailPassword;
    const { sessions } = (await gql({ query: "{ sessions { ip current } }" }, bearer(session.accessToken))).data;
    return sessions.find((listed: { current: boolean }) => listed.current).ip;
  };

  it("is the peer without TRUST_PROXY, whatever X-Forwarded-For says", async () => {
    const gql = await listening({});
    expect(await ipOf(gql, "peer@example.com", "203.0.113.9")).toBe("127.0.0.1");
  });

  it("is the rightmost address not written by a trusted proxy: one hop, two hops, CIDR ranges", async () => {
    const oneHop = await listening({ TRUST_PROXY: "true" });
    // The client prepended 6.6.6.6; the proxy appended the address it saw.
    expect(await ipOf(oneHop, "one@example.com", "6.6.6.6, 203.0.113.7")).toBe("203.0.113.7");
    expect(await ipOf(oneHop, "none@example.com")).toBe("127.0.0.1");
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    await app!.close();

    const twoHops = await listening({ TRUST_PROXY: "2" });
    expect(await ipOf(twoHops, "two@example.com", "6.6.6.6, 198.51.100.4, 10.0.0.2")).toBe("198.51.100.4");
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    await app!.close();

    const ranges = await listening({ TRUST_PROXY: "127.0.0.1/32, 10.0.0.0/8" });
    expect(await ipOf(ranges, "cidr@example.com", "6.6.6.6, 198.51.100.5, 10.1.2.3, 10.0.0.2")).toBe("198.51.100.5");
  });

  it("cannot be changed per request to dodge the per-IP limit of sent codes", async () => {
    const gql = await listening({ TRUST_PROXY: "true", PASSWORDLESS_LIMIT_PER_IP: "3/1h" });
    const answers = [];
    for (let i = 0; i < 5; i++) {
      // A fresh fake address each time, to the left of what the proxy saw.
      const sent = await gql({ query: CREATE_CODE, variables: { email: `pump${i}@example.com` } }, { "x-forwarded-for": `6.6.6.${i}, 203.0.113.7` });
      answers.push(sent.data.createCode.__typename);
    }
    expect(answers).toEqual(["CreateCodeOk", "CreateCodeOk", "CreateCodeOk", "LimitReachedError", "LimitReachedError"]);
  });

  it("counts requests without a known address in one shared bucket (an embedder passing only the request)", async () => {
    app = await startApp("pglite", { env: { PASSWORDLESS_LIMIT_PER_IP: "2/1h" } });
    const answers = [];
    for (let i = 0; i < 3; i++) {
      // No peer address at all: as a host calling the handler with only a Request.
      const request = new Request("http://auth.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: CREATE_CODE, variables: { email: `embedded${i}@example.com` } }),
      });
      answers.push((await (await app.auth.yoga.fetch(request, {})).json()).data.createCode.__typename);
    }
    expect(answers).toEqual(["CreateCodeOk", "CreateCodeOk", "LimitReachedError"]);
  });
});

describe("cookie mode (SESSION_COOKIES=on)", () => {
  const REFRESH_BY_COOKIE = `mutation { refreshSession { __typename ... on RefreshSessionOk { session { accessToken refreshToken } } } }`;
  const post = (query: string, headers: Record<string, string> = {}, variables: object = {}) =>
    app!.fetch("/graphql", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query, variables }) });
  const jar = (response: Response) =>
    response.headers
      .getSetCookie()
      .map((cookie) => cookie.split(";")[0])
      .join("; ");

  it("keeps the refresh token in an httpOnly cookie that only an allowed page can use", async () => {
    app = await startApp("pglite", { env: { SESSION_COOKIES: "on" } });
    const signedUp = await post(
      SIGN_UP.replace("session { accessToken }", "session { accessToken refreshToken }"),
      { origin: "http://app.test" },
      {
        email: "cookie@example.com",
      },
    );
    const [setCookie] = signedUp.headers.getSetCookie();
    expect(setCookie).toMatch(/^auth_refresh_token=[^;]+; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/);
    const body = await signedUp.json();
    expect(body.data.signUpEmailPassword.session).toMatchObject({ accessToken: expect.any(String), refreshToken: null });
    let cookie = jar(signedUp);

    // Another site, or no Origin at all: the cookie is not honoured, and nothing rotates.
    for (const headers of [{ origin: "https://evil.example", cookie }, { cookie }] as Array<Record<string, string>>) {
      const refused = await post(REFRESH_BY_COOKIE, headers);
      expect((await refused.json()).data.refreshSession.__typename).toBe("UnauthorisedError");
    }
    const refreshed = await post(REFRESH_BY_COOKIE, { origin: "http://app.test", cookie });
    expect((await refreshed.json()).data.refreshSession).toMatchObject({ __typename: "RefreshSessionOk", session: { refreshToken: null } });
    const rotated = jar(refreshed);
    expect(rotated).not.toBe(cookie);
    cookie = rotated;

    // Another site cannot end the session either; the owner's page can, which clears the cookie.
    await post(`mutation { signOut { __typename } }`, { origin: "https://evil.example", cookie });
    const stillThere = await post(REFRESH_BY_COOKIE, { origin: "http://app.test", cookie });
    expect((await stillThere.json()).data.refreshSession.__typename).toBe("RefreshSessionOk");
    cookie = jar(stillThere);
    const signedOut = await post(`mutation { signOut { __typename } }`, { origin: "http://app.test", cookie });
    expect(signedOut.headers.getSetCookie()[0]).toMatch(/^auth_refresh_token=; Max-Age=0;/);
    expect((await (await post(REFRESH_BY_COOKIE, { origin: "http://app.test", cookie })).json()).data.refreshSession.__typename).toBe("UnauthorisedError");
  });

  it("lands redirect flows with the cookie, never a token in the URL, and no Referer", async () => {
    app = await startApp("pglite", { env: { SESSION_COOKIES: "on", PASSWORDLESS_LINK_TARGET: "server", PUBLIC_URL: "https://auth.test" } });
    await app.gql(`mutation { createCode(email: "link@example.com") { __typename } }`);
    const link = new URL(/https:\/\/auth\.test\/verify\S+/.exec(app.outbox.last("link@example.com")!.text)![0]);
    const landed = await app.fetch(link.pathname + link.search);
    const target = new URL(landed.headers.get("location")!);
    expect(target.searchParams.get("refreshToken")).toBeNull();
    expect(target.searchParams.get("type")).toBe("signinPasswordless");
    expect(landed.headers.get("referrer-policy")).toBe("no-referrer");
    // On https: the __Host- prefix, Secure.
    expect(landed.headers.getSetCookie()[0]).toMatch(/^__Host-auth_refresh_token=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });
});

describe("bounded input", () => {
  /** A POST of `megabytes` MB streamed without a declared length (as an attacker would send it). */
  const streamed = (url: string, megabytes: number, contentType: string) => {
    let sent = 0;
    const chunk = new Uint8Array(1024 * 1024).fill(97);
    const body = new ReadableStream({
      pull(controller) {
        if (sent++ >= megabytes) controller.close();
        else controller.enqueue(chunk);
      },
    });
    return fetch(url, { method: "POST", headers: { "content-type": contentType }, body, duplex: "half" } as RequestInit).catch(
      (error: Error) => ({ status: `aborted (${error.name})` }) as unknown as Response,
    );
  };

  it("refuses oversized bodies on /graphql and the provider callback without reading them", async () => {
    const gql = await listening({ NODE_ENV: "production", SMTP_URL: "smtp://127.0.0.1:1", ENCRYPTION_KEY: "0".repeat(63) + "1" });
    const base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
    // Declared: refused before reading.
    const declared = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `mutation { signInEmailPassword(email: "a@b.c", password: "${"p".repeat(200_000)}") { __typename } }` }),
    });
    expect(declared.status).toBe(413);
    // Streamed: cut off at the limit. Memory stays flat over 10 times the data.
    global.gc?.();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 5; i++) {
      for (const path of ["/graphql", "/signin/provider/google/callback"]) {
        const answer = await streamed(`${base}${path}`, 20, path === "/graphql" ? "application/json" : "application/x-www-form-urlencoded");
        expect([413, "aborted (TypeError)"], path).toContain(answer.status);
      }
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    // Small requests still work.
    expect((await gql({ query: "{ __typename }" })).data).toEqual({ __typename: "Query" });
  });

  it("answers malformed REST input with a plain 400, never a stack, in production", async () => {
    app = await startApp("pglite", { env: { NODE_ENV: "production", SMTP_URL: "smtp://127.0.0.1:1" } });
    for (const path of [
      "/signin/provider/%E0%A4%A",
      "/verify?type=signinPasswordless&ticket=x&preAuthSessionId=%00",
      "/signin/provider/local/callback?state=%00&code=x",
    ]) {
      const answer = await app.fetch(path);
      const body = await answer.text();
      expect(answer.status, path).toBe(400);
      expect(body, path).not.toMatch(/at |\.ts|\.js|prisma|postgres|stack/i);
    }
    // Invalid UTF-8 decodes to replacement characters: an unknown ticket, answered as one.
    const landed = await app.fetch("/verify?type=emailVerify&ticket=%ED%A0%80");
    expect(landed.status).toBe(302);
    expect(new URL(landed.headers.get("location")!).searchParams.get("error")).toBe("EMAIL_VERIFICATION_INVALID_TOKEN_ERROR");
  });

  it("refuses NUL characters, lone surrogates and deep JSON in GraphQL input before any resolver", async () => {
    app = await startApp("pglite");
    const refused = async (query: string, variables: object = {}) => {
      const response = await app!.fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query, variables }),
      });
      const body = await response.json();
      return { status: response.status, message: body.errors?.[0]?.message };
    };
    expect(await refused(`mutation($d: String!) { resendCode(deviceId: $d, preAuthSessionId: "x") { __typename } }`, { d: "a\u0000" })).toEqual({
      status: 400,
      message: "input contains a NUL character",
    });
    expect(await refused(`mutation { consumeCode(preAuthSessionId: "\\u0000", linkCode: "x") { __typename } }`)).toMatchObject({ status: 400 });
    expect(await refused(`mutation($e: String!) { emailExists(email: $e) }`.replace("mutation", "query"), { e: "\ud800@example.com" })).toEqual({
      status: 400,
      message: "input contains invalid Unicode (a lone surrogate)",
    });
    const deep = `${'{"n":'.repeat(5000)}0${"}".repeat(5000)}`;
    const response = await app.fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"query":"mutation($m: JSON) { signUpEmailPassword(email: \\"deep@example.com\\", password: \\"${PASSWORD}\\", options: { metadata: $m }) { __typename } }","variables":{"m":${deep}}}`,
    });
    expect(response.status).toBe(400);
    expect((await response.json()).errors[0].message).toMatch(/nested more than 32 levels/);
  });
});
