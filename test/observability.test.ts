import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASES, PASSWORD, REFRESH, SIGN_IN, signUp, startApp, type TestApp } from "./helpers.js";

/** One sample of a Prometheus text exposition, by name and exact labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return 0;
}

describe.each(DATABASES)("METRICS=on (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind, { env: { METRICS: "on", SIGNIN_LOCKOUT_THRESHOLD: "3" } });
  });
  afterAll(() => app.close());

  const metrics = async () => {
    const response = await app.fetch("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    return response.text();
  };

  it("counts sign-ins by method and outcome, refreshes, thefts, lockouts and emails, beside latency histograms", async () => {
    const before = await metrics();
    const { session } = await signUp(app, "counted@example.com");
    expect((await app.gql(SIGN_IN, { email: "counted@example.com", password: PASSWORD })).data.signInEmailPassword.__typename).toBe("SignInEmailPasswordOk");
    for (let i = 0; i < 3; i++) await app.gql(SIGN_IN, { email: "counted@example.com", password: "wrong password entirely" });
    expect((await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession.__typename).toBe("RefreshSessionOk");
    app.clock.advance(60); // past the grace period: a replay is theft
    expect((await app.gql(REFRESH, { refreshToken: session.refreshToken })).data.refreshSession.__typename).toBe("TokenTheftDetectedError");
    await app.auth.deps.idle();
    const beforeMail = await metrics();
    await app.gql(`mutation { sendPasswordResetEmail(email: "counted@example.com") { __typename } }`);
    await app.auth.deps.idle();

    const after = await metrics();
    const moved = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(moved("auth_sign_ins_total", { method: "emailpassword", outcome: "SignUpEmailPasswordOk" })).toBe(1);
    expect(moved("auth_sign_ins_total", { method: "emailpassword", outcome: "SignInEmailPasswordOk" })).toBe(1);
    expect(moved("auth_sign_ins_total", { method: "emailpassword", outcome: "WrongCredentialsError" })).toBe(3);
    expect(moved("auth_lockouts_total", { scope: "account" })).toBe(1);
    expect(moved("auth_refreshes_total", { outcome: "RefreshSessionOk" })).toBe(1);
    expect(moved("auth_refreshes_total", { outcome: "TokenTheftDetectedError" })).toBe(1);
    expect(moved("auth_token_theft_detections_total")).toBe(1);
    const sent = { channel: "email", result: "sent" };
    expect(sample(after, "auth_messages_total", sent) - sample(beforeMail, "auth_messages_total", sent)).toBe(1);
    // GraphQL latency, from yoga's Prometheus plugin on the same registry.
    expect(sample(after, "graphql_yoga_http_duration_count")).toBeGreaterThan(0);
    expect(sample(after, "graphql_envelop_phase_execute_count", { operationType: "mutation" })).toBeGreaterThan(0);
    expect(after).toContain("process_resident_memory_bytes");
    // Labels a client chooses (operation names, URLs) are not metrics labels.
    expect(after).not.toMatch(/operationName=|url=/);
  });

  it("counts second factors and text messages", async () => {
    const before = await metrics();
    await app.gql(`mutation { createCode(phoneNumber: "+14155550123") { __typename } }`);
    await app.auth.deps.idle();
    const tried = await app.gql(`mutation { verifySignInMfaTotp(ticket: "not-a-ticket", totp: "123456") { __typename } }`);
    expect(tried.data?.verifySignInMfaTotp.__typename, JSON.stringify(tried)).toBe("InvalidTicketError");
    const after = await metrics();
    expect(
      sample(after, "auth_messages_total", { channel: "sms", result: "sent" }) - sample(before, "auth_messages_total", { channel: "sms", result: "sent" }),
    ).toBe(1);
    expect(sample(after, "auth_mfa_challenges_total", { factor: "totp" })).toBeGreaterThan(sample(before, "auth_mfa_challenges_total", { factor: "totp" }));
  });
});

describe("METRICS off (the default)", () => {
  it("serves no /metrics", async () => {
    const app = await startApp("pglite");
    try {
      expect((await app.fetch("/metrics")).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe("the request log", () => {
  it("writes one line per request with its id, operation, outcome, status, latency and client IP, and no secret", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
    const app = await startApp("pglite", { logger });
    try {
      const { session } = await signUp(app, "logged@example.com");
      lines.length = 0;
      const signIn = await app.fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "edge-7f3a" },
        body: JSON.stringify({ query: SIGN_IN, variables: { email: "logged@example.com", password: PASSWORD } }),
      });
      expect(signIn.headers.get("x-request-id")).toBe("edge-7f3a");
      const signedIn = (await signIn.json()).data.signInEmailPassword;
      const requests = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "request");
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({
        reqId: "edge-7f3a",
        method: "POST",
        path: "/graphql",
        operation: "mutation SignIn",
        outcome: "signInEmailPassword:SignInEmailPasswordOk",
        status: 200,
        ip: "127.0.0.1",
      });
      expect(requests[0].ms).toBeGreaterThan(0);

      // A link carries its token in the query: the log keeps only the path. An unusable id is replaced.
      lines.length = 0;
      const link = await app.fetch(`/verify?type=emailVerification&token=${"t".repeat(40)}`, { headers: { "x-request-id": "bad id with spaces" } });
      const generated = link.headers.get("x-request-id");
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      const linkLine = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === "request");
      expect(linkLine).toMatchObject({ reqId: generated, method: "GET", path: "/verify" });

      await app.gql(REFRESH, { refreshToken: session.refreshToken });
      const log = lines.join("");
      for (const secret of [PASSWORD, session.refreshToken, signedIn.session.refreshToken, signedIn.session.accessToken, "t".repeat(40)]) {
        expect(log).not.toContain(secret);
      }
    } finally {
      await app.close();
    }
  });

  it("writes no line below the logger's level, and still echoes the request id", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
    const app = await startApp("pglite", { logger });
    try {
      await signUp(app, "quiet@example.com");
      const signIn = await app.fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "edge-9c1d" },
        body: JSON.stringify({ query: SIGN_IN, variables: { email: "quiet@example.com", password: PASSWORD } }),
      });
      expect(signIn.headers.get("x-request-id")).toBe("edge-9c1d");
      expect((await signIn.json()).data.signInEmailPassword.__typename).toBe("SignInEmailPasswordOk");
      const generated = (
        await app.fetch("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"{ __typename }"}' })
      ).headers.get("x-request-id");
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      expect(lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "request")).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
