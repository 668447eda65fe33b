import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { createAuth } from "../src/app.js";
import { DATABASES, startApp, type TestApp } from "./helpers.js";

describe.each(DATABASES)("HTTP routes (%s)", (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp(kind);
  });
  afterAll(() => app?.close());

  it("serves the JWKS at /.well-known/jwks.json", async () => {
    const response = await app.fetch("/.well-known/jwks.json");
    expect(response.status).toBe(200);
    const { keys } = await response.json();
    expect(keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig", kid: expect.any(String) });
    expect(keys[0].d).toBeUndefined();
  });

  it("answers /version and the version query alike", async () => {
    const { version } = await (await app.fetch("/version")).json();
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect((await app.gql(`{ version }`)).data.version).toBe(version);
  });

  it("answers GET and HEAD /healthz with 200 while the database answers", async () => {
    expect(await (await app.fetch("/healthz")).json()).toEqual({ status: "ok", database: true });
    const head = await app.fetch("/healthz", { method: "HEAD" });
    expect(head.status).toBe(200);
  });
});

describe("health without a database", () => {
  it("answers 503 once the database is gone", async () => {
    const app = await startApp("pglite");
    await app.auth.deps.db.close();
    expect((await app.fetch("/healthz")).status).toBe(503);
    expect((await app.fetch("/healthz", { method: "HEAD" })).status).toBe(503);
  });
});

describe("configuration", () => {
  it("names each bad variable", () => {
    const bad = {
      PORT: "http",
      ACCESS_TOKEN_TTL: "soon",
      EMAIL_VERIFICATION: "maybe",
      DATABASE_URL: "mysql://x",
      ENCRYPTION_KEY: "short",
      DATABASE_POOL_SIZE: "0",
    };
    let message = "";
    try {
      loadConfig(bad);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    for (const name of Object.keys(bad)) expect(message).toContain(name);
  });

  it("refuses production without ENCRYPTION_KEY, PUBLIC_URL, CLIENT_URL or SMTP_URL, naming each; parses durations", async () => {
    const production = {
      NODE_ENV: "production",
      ENCRYPTION_KEY: "0".repeat(63) + "1",
      PUBLIC_URL: "https://auth.example.com",
      CLIENT_URL: "https://app.example.com",
    };
    for (const name of ["ENCRYPTION_KEY", "PUBLIC_URL", "CLIENT_URL"]) {
      expect(() => loadConfig({ ...production, [name]: undefined }), name).toThrow(new RegExp(`${name}: required when NODE_ENV=production`));
    }
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/ENCRYPTION_KEY[\s\S]*PUBLIC_URL[\s\S]*CLIENT_URL/);
    // SMTP_URL: checked where the mailer is chosen (an embedder may bring its own).
    await expect(createAuth({ env: production, migrate: false })).rejects.toThrow(/SMTP_URL: required when NODE_ENV=production/);
    const config = loadConfig({ ACCESS_TOKEN_TTL: "5m", REFRESH_TOKEN_TTL: "7d", ALLOWED_REDIRECT_URLS: "https://a.test/x/, https://b.test" });
    expect(config.accessTokenTtlSeconds).toBe(300);
    expect(config.refreshTokenTtlSeconds).toBe(7 * 86400);
    expect(config.allowedRedirectUrls).toEqual(["https://a.test/x", "https://b.test"]);
  });
});

describe("the development outbox", () => {
  for (const [mode, logged] of [
    ["development", true],
    ["staging", false],
  ] as const) {
    it(`${logged ? "logs" : "never logs"} codes and links in ${mode}`, async () => {
      const lines: string[] = [];
      const logger = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
      const app = await startApp("pglite", { mailer: undefined, sms: undefined, logger, env: { NODE_ENV: mode, LOG_LEVEL: "info" } });
      try {
        await app.gql(`mutation { createCode(email: "logged@example.com") { __typename } }`);
        await app.gql(`mutation { createCode(phoneNumber: "+14155550199") { __typename } }`);
        await app.auth.deps.idle();
        const mail = (app.auth.deps.mailer as unknown as { last(to: string): { text: string } }).last("logged@example.com")!;
        const code = /\b(\d{6})\b/.exec(mail.text)![1]!;
        const log = lines.join("");
        expect(log).toContain("logged@example.com");
        expect(log.includes(code)).toBe(logged);
        expect(/\b\d{6}\b/.test(log.replace(/"time":\d+/g, "").replace(/"pid":\d+/g, ""))).toBe(logged);
      } finally {
        await app.close();
      }
    });
  }
});

describe("authConfig", () => {
  it("describes what the server offers, following configuration and disabled APIs", async () => {
    const query = `{ authConfig { tenantId firstFactors passwordless { flowType codeLength } passwordPolicy { minLength maxLength } emailVerification mfaFactors
      mfa { policy requiredForRoles enrolableFactors stepUpFactors } } }`;
    const app = await startApp("pglite", { env: { ANONYMOUS_USERS: "on", PASSWORD_MIN_LENGTH: "12", EMAIL_VERIFICATION: "required" } });
    try {
      expect((await app.gql(query)).data.authConfig).toEqual({
        tenantId: "public",
        firstFactors: ["emailpassword", "passwordless", "webauthn", "anonymous", "personalAccessToken"],
        passwordless: { flowType: "USER_INPUT_CODE_AND_MAGIC_LINK", codeLength: 6 },
        passwordPolicy: { minLength: 12, maxLength: 256 },
        emailVerification: "REQUIRED",
        mfaFactors: ["totp", "webauthn", "recoveryCode", "emailCode", "smsCode"],
        mfa: { policy: "OPTIONAL", requiredForRoles: [], enrolableFactors: ["totp"], stepUpFactors: ["totp", "webauthn", "password", "emailCode", "smsCode"] },
      });
    } finally {
      await app.close();
    }
    const trimmed = await startApp("pglite", {
      recipes: {
        passwordless: { override: { apis: (original) => ({ ...original, createCode: undefined, consumeCode: undefined }) } },
        totp: { override: { apis: (original) => ({ ...original, verifySignInMfaRecoveryCode: undefined }) } },
        webauthn: { override: { apis: (original) => ({ ...original, webauthnSignIn: false, verifySignInMfaWebauthn: undefined }) } },
      },
      env: { MFA: "required", MFA_REQUIRED_ROLES: "admin" },
    });
    try {
      const { data } = await trimmed.gql(query);
      expect(data.authConfig).toMatchObject({
        firstFactors: ["emailpassword", "personalAccessToken"],
        passwordless: null,
        emailVerification: "OPTIONAL",
        // Each factor follows its own APIs: codes to addresses stay while their mutations do.
        mfaFactors: ["totp", "emailCode", "smsCode"],
        mfa: { policy: "REQUIRED", requiredForRoles: ["admin"], enrolableFactors: ["totp"] },
      });
    } finally {
      await trimmed.close();
    }
  });
});
