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
