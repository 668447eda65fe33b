/**
 * Cookie mode in a real browser (Debian's Chromium driven by playwright-core):
 * a page on the allowed origin signs up, reloads, refreshes by cookie and
 * signs out without ever being able to read the refresh token; a page on
 * another origin can neither read answers nor rotate or end the session.
 *
 * Needs /usr/bin/chromium (`.ci/run` installs Debian's package); skipped,
 * saying so, on a machine without it.
 */
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, startApp, type TestApp } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

/** A page whose script talks to the auth server with the browser's cookies, as a single-page app does. */
const PAGE = (authUrl: string) => `<!doctype html><meta charset="utf-8"><title>app</title><script>
  window.gql = async (query, variables = {}, accessToken) => {
    const response = await fetch(${JSON.stringify(`${authUrl}/graphql`)}, {
      method: "POST",
      credentials: "include",
      headers: { "content-type": "application/json", ...(accessToken ? { authorization: "Bearer " + accessToken } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return response.json();
  };
</script>`;

/** Headless, and quiet on this machine's closed network (no background requests to Google). */
const launchChromium = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });

async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe.skipIf(!available)("cookie mode in Chromium", () => {
  let app: TestApp;
  let browser: Browser;
  const servers: Server[] = [];
  let appOrigin: string;
  let otherOrigin: string;

  beforeAll(async () => {
    let handle: (request: IncomingMessage, response: ServerResponse) => void = (_, response) => response.end();
    const auth = await listen((request, response) => handle(request, response));
    const authUrl = `http://localhost:${auth.port}`;
    const page = (_: IncomingMessage, response: ServerResponse) => response.writeHead(200, { "content-type": "text/html" }).end(PAGE(authUrl));
    const good = await listen(page);
    // Same site (localhost), another origin: the cookie may travel with its requests, so only the Origin check stops it.
    const other = await listen(page);
    servers.push(auth.server, good.server, other.server);
    appOrigin = `http://localhost:${good.port}`;
    otherOrigin = `http://localhost:${other.port}`;
    app = await startApp("pglite", { env: { SESSION_COOKIES: "on", PUBLIC_URL: authUrl, CLIENT_URL: appOrigin } });
    handle = app.auth.yoga as never;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
    await app?.close();
  });

  const gql = (page: Page, query: string, variables: object = {}, accessToken?: string) =>
    page.evaluate(([q, v, token]) => (window as any).gql(q, v, token), [query, variables, accessToken] as const);
  const REFRESH = `mutation { refreshSession { __typename ... on RefreshSessionOk { session { accessToken refreshToken } } } }`;
  const rotations = () => app.auth.deps.prisma.usedRefreshToken.count();

  it("signs in, survives a reload, refreshes by cookie and signs out, never exposing the refresh token to scripts", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(appOrigin);
    const signedUp = await gql(
      page,
      `mutation($email: String!, $password: String!) { signUpEmailPassword(email: $email, password: $password) {
      __typename ... on SignUpEmailPasswordOk { session { accessToken refreshToken } } } }`,
      { email: "browser@example.com", password: PASSWORD },
    );
    expect(signedUp.data.signUpEmailPassword).toMatchObject({ __typename: "SignUpEmailPasswordOk", session: { refreshToken: null } });
    // The browser holds the cookie; the page's scripts cannot see it (cookies are per host, not per port: httpOnly hides it).
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "auth_refresh_token", httpOnly: true, sameSite: "Lax" });
    expect(await page.evaluate(() => document.cookie)).not.toContain(cookie!.value);

    await page.reload();
    const refreshed = await gql(page, REFRESH);
    expect(refreshed.data.refreshSession).toMatchObject({ __typename: "RefreshSessionOk", session: { refreshToken: null } });
    const me = await gql(page, `{ me { email } }`, {}, refreshed.data.refreshSession.session.accessToken);
    expect(me.data.me).toEqual({ email: "browser@example.com" });

    // Another origin's page: it cannot read the answer, and the server neither rotates nor ends the session.
    const elsewhere = await context.newPage();
    await elsewhere.goto(otherOrigin);
    const before = await rotations();
    for (const query of [REFRESH, `mutation { signOut { __typename } }`]) {
      const outcome = await elsewhere.evaluate(async (q) => {
        try {
          return await (window as any).gql(q);
        } catch (error) {
          return `blocked: ${(error as Error).name}`;
        }
      }, query);
      expect(outcome).toBe("blocked: TypeError");
    }
    expect(await rotations()).toBe(before);
    expect((await gql(page, REFRESH)).data.refreshSession.__typename).toBe("RefreshSessionOk");

    expect((await gql(page, `mutation { signOut { __typename } }`)).data.signOut.__typename).toBe("SignOutOk");
    expect(await context.cookies()).toEqual([]);
    expect((await gql(page, REFRESH)).data.refreshSession.__typename).toBe("UnauthorisedError");
    await context.close();
  });
});

describe.skipIf(!available)("GraphiQL in Chromium, offline", () => {
  it("renders the served GraphiQL and runs a query with every request to another host refused", async () => {
    const app = await startApp("pglite");
    const { server, port } = await listen(app.auth.yoga as never);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      // No internet: anything not from this server fails, as on a machine without it.
      const elsewhere: string[] = [];
      await page.route(
        (url) => url.host !== `127.0.0.1:${port}`,
        (route) => {
          elsewhere.push(route.request().url());
          return route.abort();
        },
      );
      // The query in the address, as a shared GraphiQL link carries it.
      await page.goto(`http://127.0.0.1:${port}/graphql?query=${encodeURIComponent("{ version }")}`);
      await page.locator(".graphiql-container").first().waitFor({ timeout: 60_000 });
      expect(await page.locator("body").textContent()).not.toMatch(/^\s*Loading/);
      // It works: run the query and read the answer.
      await page.locator(".graphiql-execute-button").click();
      await expect.poll(() => page.locator(".graphiql-response").textContent(), { timeout: 30_000 }).toContain('"version"');
      expect(elsewhere).toEqual([]);
    } finally {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
      await app.close();
    }
  }, 120_000);
});
