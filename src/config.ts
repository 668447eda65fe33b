/**
 * Configuration: environment variables parsed once into a typed Config, with
 * start-up errors that name the variable at fault. Embedders pass the same
 * fields as an object (see createAuth in app.ts); environment and object merge,
 * the object winning.
 */
import { availableParallelism } from "node:os";
import { isIP } from "node:net";
import { z } from "zod";
import { providerListSchema, type ProviderSettings } from "./recipes/thirdparty/providers.js";

export type EmailVerificationMode = "required" | "optional" | "off";
/** Multi-factor sign-in: never asked (`off`), asked of users who set a factor up (`optional`), or of everyone (`required`, enrolment first). */
export type MfaPolicy = "off" | "optional" | "required";
export const PASSWORDLESS_FLOW_TYPES = ["USER_INPUT_CODE", "MAGIC_LINK", "USER_INPUT_CODE_AND_MAGIC_LINK"] as const;
export type PasswordlessFlowType = (typeof PASSWORDLESS_FLOW_TYPES)[number];

export interface Config {
  nodeEnv: string;
  production: boolean;
  port: number;
  databaseUrl?: string;
  /** DATABASE_DIRECT_URL: PostgreSQL itself, for migrations and LISTEN when DATABASE_URL is a transaction-mode pooler. */
  databaseDirectUrl?: string;
  /** DATABASE_PREPARED_STATEMENTS=off: no named prepared statements (poolers without support for them). */
  databasePreparedStatements: boolean;
  /** DATABASE_POOL_SIZE: PostgreSQL connections this process keeps at most. */
  databasePoolSize: number;
  dataDir: string;
  publicUrl: string;
  clientUrl: string;
  /** Prefixes a redirectTo must start with; CLIENT_URL is always one. */
  allowedRedirectUrls: string[];
  /** 32-byte key for AES-256-GCM; generated into DATA_DIR when absent outside production. */
  encryptionKey?: Buffer;
  adminSecret?: string;
  /** How often securityEvents subscriptions read the audit log for new events. */
  securityEventsPollMs: number;
  /** Users with this role may use the admin API (as the admin secret does). */
  adminRole: string;
  smtpUrl?: string;
  emailFrom: string;
  /** Twilio-compatible SMS provider; without it SMS go to the development outbox. */
  sms?: { apiUrl: string; accountSid: string; authToken: string; from: string };
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** SESSION_MAX_AGE: a session's absolute lifetime, however often it refreshes. */
  sessionMaxAgeSeconds: number;
  /** Concurrent-refresh grace window: the rotated parent still yields the current child. */
  refreshGraceSeconds: number;
  /** How long a process may answer read-only viewer fields (`me`) from memory; 0 = always ask the database. */
  sessionCacheTtlSeconds: number;
  /** How often expired tickets, ended sessions and idle counters are deleted; 0 = never. */
  housekeepingIntervalSeconds: number;
  /** How recent the last real authentication must be for elevated operations. */
  elevationWindowSeconds: number;
  signingKeyRotationSeconds: number;
  emailVerification: EmailVerificationMode;
  passwordMinLength: number;
  passwordMaxLength: number;
  /** PASSWORD_BREACH_CHECK_URL: a k-anonymity range API (Have I Been Pwned's shape); null: no breach check. */
  passwordBreachCheckUrl: string | null;
  lockout: { threshold: number; baseSeconds: number; maxSeconds: number };
  emailVerificationTicketTtlSeconds: number;
  passwordResetTicketTtlSeconds: number;
  /** Where verification, reset and email-change links point: frontend pages, or this server's GET /verify. */
  emailLinkTarget: "client" | "server";
  userDefaultRole: string;
  userRoles: string[];
  /** Multi-factor sign-in for the default of every tenant (tenants may override): policy, roles that always need it, the second factors allowed (null: all). */
  mfa: { policy: MfaPolicy; requiredRoles: string[]; factors: string[] | null };
  /** Add the https://hasura.io/jwt/claims block to access tokens. */
  hasuraClaims: boolean;
  /** TRUST_PROXY: which peers are trusted proxies: none (false), the nearest `hops`, or addresses in CIDR ranges (proxy-addr's `trust`). */
  trustProxy: false | number | string[];
  /** CORS_ORIGINS: the origins granted CORS (with credentials); others get no CORS headers. */
  corsOrigins: string[];
  /** SESSION_COOKIES=on: refresh tokens travel in an httpOnly cookie instead of bodies and URLs (sessions/cookies.ts). */
  sessionCookies: boolean;
  /** Limits on paths that cost mail or rows (security/send-limits.ts): per address, per client IP, per token. */
  limits: Record<"mailPerAddress" | "mailPerIp" | "anonymousPerIp" | "passkeySignUpPerIp" | "tokenSignIn", { points: number; windowSeconds: number }>;
  /** MIGRATE_ON_START=false: the server does not migrate at start (deployments that run `npm run migrate` as a job). */
  migrateOnStart: boolean;
  /** REQUEST_BODY_LIMIT: the largest /graphql body read, in bytes (auth traffic is small; a passkey's attestation the largest). */
  requestBodyLimit: number;
  /** SHUTDOWN_DELAY: after SIGTERM, how long `npm start` keeps serving with /readyz at 503 before it stops accepting connections. */
  shutdownDelaySeconds: number;
  /** EMAIL_DEFAULT_LOCALE: the language of messages to users whose locale has none (default "en"). */
  emailDefaultLocale: string;
  /** EMAIL_TEMPLATES_DIR: a folder of `<locale>/<template>.subject|.txt|.html` Mustache templates replacing the built-in ones. */
  emailTemplatesDir?: string;
  /** METRICS=on: `GET /metrics` serves Prometheus metrics (auth counters, GraphQL latency, the process). */
  metrics: boolean;
  sessionCookie: { name: string; sameSite: "lax" | "strict" | "none"; secure: boolean };
  logLevel: string;
  /** signInAnonymous on or off (Nhost's AUTH_ANONYMOUS_USERS_ENABLED), and how long an unused anonymous user is kept. */
  anonymous: { enabled: boolean; retentionSeconds: number };
  totp: {
    /** Shown by authenticator apps beside the account name. */
    issuer: string;
    period: number;
    /** Time steps accepted either side of now (RFC 6238 §5.2). */
    skew: number;
    digits: number;
    /** Wrong codes (per user, across devices) before a lock of `lockoutSeconds`, doubling on repeat. */
    lockout: { threshold: number; baseSeconds: number; maxSeconds: number };
  };
  passwordless: {
    flowType: PasswordlessFlowType;
    codeLifetimeSeconds: number;
    maxAttempts: number;
    codeLength: number;
    /** Where magic links point: the frontend's /verify page, or this server's GET /verify (which redirects with a refresh token). */
    linkTarget: "client" | "server";
    /** resendCode makes the codes and links sent before it stop working. */
    resendInvalidatesEarlierCodes: boolean;
    /** Codes sent to one email or phone number, and requested from one IP, per window. */
    limitPerContact: { points: number; windowSeconds: number };
    limitPerIp: { points: number; windowSeconds: number };
  };
  /** The WebAuthn relying party: passkeys are bound to rpId and answered only from `origins`. */
  webauthn: {
    rpId: string;
    rpName: string;
    origins: string[];
    userVerification: "required" | "preferred" | "discouraged";
    attestation: "none" | "direct";
    /** How long the browser prompt may take; a challenge lives as long. */
    timeoutSeconds: number;
  };
  thirdParty: {
    /** Providers by tenant; THIRD_PARTY_PROVIDERS configures the default tenant's. */
    providers: Record<string, ProviderSettings[]>;
    /** Lifetime of a state (and its PKCE verifier and nonce) between the authorization URL and the callback. */
    stateTtlSeconds: number;
  };
  /** Credential-checking fields (sign-in, codes, TOTP...) evaluated per request, aliases included. */
  maxCredentialChecksPerRequest: number;
}

const DURATION = /^(\d+)(ms|s|m|h|d)?$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** "900", "900s", "15m", "30d" -> seconds. */
const duration = z
  .string()
  .trim()
  .regex(DURATION, 'a number of seconds, or a number with a unit (ms, s, m, h, d), like "15m"')
  .transform((value) => {
    const [, amount, unit = "s"] = DURATION.exec(value)!;
    return Number(amount) * UNIT_SECONDS[unit]!;
  })
  .refine((seconds) => seconds > 0, "must be positive");
const durationOrZero = z
  .string()
  .trim()
  .regex(DURATION, 'a number of seconds, or a number with a unit (ms, s, m, h, d), like "2s"')
  .transform((value) => {
    const [, amount, unit = "s"] = DURATION.exec(value)!;
    return Number(amount) * UNIT_SECONDS[unit]!;
  });

/** "5/1h": 5 requests per hour. */
const rate = z
  .string()
  .trim()
  .regex(/^\d+\/\d+(ms|s|m|h|d)?$/, 'a count and a window, like "5/1h"')
  .transform((value) => {
    const [count, window] = value.split("/") as [string, string];
    const [, amount, unit = "s"] = DURATION.exec(window)!;
    return { points: Number(count), windowSeconds: Number(amount) * UNIT_SECONDS[unit]! };
  });

/** An IP address, or one with a prefix length ("10.0.0.0/8", "::1", "fd00::/8"). */
function isCidr(value: string): boolean {
  const [address = "", prefix, ...rest] = value.split("/");
  if (rest.length > 0 || isIP(address) === 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (isIP(address) === 4 ? 32 : 128);
}

/** The frontend's origins: CLIENT_URL's and every allowed redirect URL's. */
function defaultCorsOrigins(clientUrl: string, redirects: string[]): string[] {
  const origins = [clientUrl, ...redirects].flatMap((url) => {
    try {
      return [new URL(url).origin];
    } catch {
      return [];
    }
  });
  return [...new Set(origins)];
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);
const boolean = z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");
const httpUrl = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));
const key = z.string().transform((value, ctx) => {
  const bytes = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, "hex") : Buffer.from(value, "base64");
  if (bytes.length !== 32) {
    ctx.addIssue({ code: "custom", message: "must be 32 bytes, as 64 hex digits or base64" });
    return z.NEVER;
  }
  return bytes;
});

const envSchema = z.object({
  NODE_ENV: z.string().default("development"),
  PORT: int(0, 65535).default(4000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  DATABASE_DIRECT_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  DATABASE_PREPARED_STATEMENTS: z.enum(["on", "off"]).default("on"),
  DATABASE_POOL_SIZE: int(1, 1000).optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  PUBLIC_URL: httpUrl.optional(),
  CLIENT_URL: httpUrl.default("http://localhost:3000"),
  ALLOWED_REDIRECT_URLS: list.pipe(z.array(httpUrl)).default([]),
  ENCRYPTION_KEY: key.optional(),
  ADMIN_ROLE: z.string().min(1).default("admin"),
  SECURITY_EVENTS_POLL_INTERVAL: duration.default(30),
  ADMIN_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "must be an smtp:// or smtps:// URL")
    .optional(),
  EMAIL_FROM: z.string().min(3).default("Auth <no-reply@localhost>"),
  SMS_API_URL: httpUrl.default("https://api.twilio.com"),
  SMS_ACCOUNT_SID: z.string().min(1).optional(),
  SMS_AUTH_TOKEN: z.string().min(1).optional(),
  SMS_FROM: z.string().min(1).optional(),
  ACCESS_TOKEN_TTL: duration.default(900),
  REFRESH_TOKEN_TTL: duration.default(30 * 86400),
  // ASVS 5 V7.3.2: an absolute timeout beside the idle one (Keycloak's SSO Session Max, Kratos' lifespan).
  SESSION_MAX_AGE: duration.default(90 * 86400),
  REFRESH_GRACE_PERIOD: duration.default(10),
  SESSION_CACHE_TTL: durationOrZero.default(2),
  HOUSEKEEPING_INTERVAL: durationOrZero.default(3600),
  ELEVATION_WINDOW: duration.default(300),
  SIGNING_KEY_ROTATION: duration.default(30 * 86400),
  EMAIL_VERIFICATION: z.enum(["required", "optional", "off"]).default("optional"),
  PASSWORD_MIN_LENGTH: int(1, 64).default(8),
  PASSWORD_BREACH_CHECK_URL: httpUrl.optional(),
  PASSWORD_MAX_LENGTH: int(64, 4096).default(256),
  SIGNIN_LOCKOUT_THRESHOLD: int(1, 1000).default(10),
  SIGNIN_LOCKOUT_BASE: duration.default(30),
  SIGNIN_LOCKOUT_MAX: duration.default(3600),
  EMAIL_VERIFICATION_TICKET_TTL: duration.default(86400),
  PASSWORD_RESET_TICKET_TTL: duration.default(3600),
  EMAIL_LINK_TARGET: z.enum(["client", "server"]).default("client"),
  USER_DEFAULT_ROLE: z.string().min(1).default("user"),
  USER_ROLES: list.default(["user", "me"]),
  MFA: z.enum(["off", "optional", "required"]).default("optional"),
  MFA_REQUIRED_ROLES: list.default([]),
  MFA_FACTORS: list.optional(),
  JWT_HASURA_CLAIMS: boolean.default(false),
  TRUST_PROXY: z
    .string()
    .default("false")
    .transform((value, ctx) => {
      if (["false", "0", ""].includes(value)) return false as const;
      if (value === "true") return 1;
      if (/^\d+$/.test(value)) return Number(value);
      const ranges = value
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean);
      const bad = ranges.find((range) => !isCidr(range));
      if (bad) {
        ctx.addIssue({ code: "custom", message: `"${bad}" is not true, false, a hop count or an IP address or CIDR range` });
        return z.NEVER;
      }
      return ranges;
    }),
  CORS_ORIGINS: list.optional(),
  SESSION_COOKIES: z.enum(["on", "off"]).default("off"),
  MAIL_LIMIT_PER_ADDRESS: rate.default({ points: 5, windowSeconds: 3600 }),
  MAIL_LIMIT_PER_IP: rate.default({ points: 30, windowSeconds: 3600 }),
  ANONYMOUS_LIMIT_PER_IP: rate.default({ points: 30, windowSeconds: 3600 }),
  WEBAUTHN_SIGN_UP_LIMIT_PER_IP: rate.default({ points: 60, windowSeconds: 3600 }),
  PAT_SIGN_IN_LIMIT: rate.default({ points: 120, windowSeconds: 3600 }),
  MIGRATE_ON_START: boolean.default(true),
  METRICS: z.enum(["on", "off"]).default("off"),
  EMAIL_DEFAULT_LOCALE: z
    .string()
    .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8}){0,3}$/, "must be a language tag like en or pt-BR")
    .default("en"),
  EMAIL_TEMPLATES_DIR: z.string().min(1).optional(),
  SHUTDOWN_DELAY: duration.default(0),
  REQUEST_BODY_LIMIT: int(4096, 10 * 1024 * 1024).default(100 * 1024),
  SESSION_COOKIE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, '_', '.' or '-'")
    .default("auth_refresh_token"),
  SESSION_COOKIE_SAMESITE: z.enum(["lax", "strict", "none"]).default("lax"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  MAX_CREDENTIAL_CHECKS_PER_REQUEST: int(1, 100).default(3),
  ANONYMOUS_USERS: z.enum(["on", "off"]).default("off"),
  ANONYMOUS_USER_RETENTION: duration.default(30 * 86400),
  TOTP_ISSUER: z.string().min(1).default("Auth"),
  TOTP_MAX_ATTEMPTS: int(1, 100).default(5),
  TOTP_LOCKOUT: duration.default(900),
  TOTP_PERIOD: int(15, 120).default(30),
  TOTP_SKEW: int(0, 5).default(1),
  TOTP_DIGITS: int(6, 8).default(6),
  PASSWORDLESS_FLOW_TYPE: z.enum(PASSWORDLESS_FLOW_TYPES).default("USER_INPUT_CODE_AND_MAGIC_LINK"),
  PASSWORDLESS_CODE_LIFETIME: duration.default(900),
  PASSWORDLESS_MAX_ATTEMPTS: int(1, 100).default(5),
  PASSWORDLESS_CODE_LENGTH: int(4, 12).default(6),
  PASSWORDLESS_LINK_TARGET: z.enum(["client", "server"]).default("client"),
  PASSWORDLESS_RESEND_INVALIDATES: boolean.default(false),
  PASSWORDLESS_LIMIT_PER_CONTACT: rate.default({ points: 5, windowSeconds: 3600 }),
  PASSWORDLESS_LIMIT_PER_IP: rate.default({ points: 30, windowSeconds: 3600 }),
  THIRD_PARTY_PROVIDERS: z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be a JSON array of providers" });
        return z.NEVER;
      }
    })
    .pipe(providerListSchema)
    .default([]),
  WEBAUTHN_RP_ID: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, "must be a host name like example.com")
    .optional(),
  WEBAUTHN_RP_NAME: z.string().min(1).optional(),
  WEBAUTHN_ORIGINS: list.pipe(z.array(httpUrl)).optional(),
  WEBAUTHN_USER_VERIFICATION: z.enum(["required", "preferred", "discouraged"]).default("preferred"),
  WEBAUTHN_ATTESTATION: z.enum(["none", "direct"]).default("none"),
  WEBAUTHN_TIMEOUT: duration.default(300),
});

/** The server cannot start, for a reason its message gives in full: `npm start` prints it without a stack. */
export class StartupError extends Error {
  override name = "StartupError";
}

export class ConfigError extends StartupError {
  override name = "ConfigError";
}

/** Parses the environment; empty variables count as unset. Throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === "production";
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
  const config: Config = {
    nodeEnv: e.NODE_ENV,
    production,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    databaseDirectUrl: e.DATABASE_DIRECT_URL,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS === "on",
    // Prisma's own default (cores x 2 + 1) rather than node-postgres' 10: one JavaScript thread
    // keeps a few connections busy, and on two cores 10 backends took turns with it (issue 17).
    databasePoolSize: e.DATABASE_POOL_SIZE ?? availableParallelism() * 2 + 1,
    dataDir: e.DATA_DIR,
    publicUrl,
    clientUrl: e.CLIENT_URL,
    allowedRedirectUrls: e.ALLOWED_REDIRECT_URLS,
    encryptionKey: e.ENCRYPTION_KEY,
    adminSecret: e.ADMIN_SECRET,
    adminRole: e.ADMIN_ROLE,
    securityEventsPollMs: Math.max(10, Math.round(e.SECURITY_EVENTS_POLL_INTERVAL * 1000)),
    smtpUrl: e.SMTP_URL,
    emailFrom: e.EMAIL_FROM,
    sms:
      e.SMS_ACCOUNT_SID && e.SMS_AUTH_TOKEN && e.SMS_FROM
        ? { apiUrl: e.SMS_API_URL, accountSid: e.SMS_ACCOUNT_SID, authToken: e.SMS_AUTH_TOKEN, from: e.SMS_FROM }
        : undefined,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL,
    sessionMaxAgeSeconds: e.SESSION_MAX_AGE,
    refreshGraceSeconds: e.REFRESH_GRACE_PERIOD,
    sessionCacheTtlSeconds: e.SESSION_CACHE_TTL,
    housekeepingIntervalSeconds: e.HOUSEKEEPING_INTERVAL,
    elevationWindowSeconds: e.ELEVATION_WINDOW,
    signingKeyRotationSeconds: e.SIGNING_KEY_ROTATION,
    emailVerification: e.EMAIL_VERIFICATION,
    passwordMinLength: e.PASSWORD_MIN_LENGTH,
    passwordMaxLength: e.PASSWORD_MAX_LENGTH,
    passwordBreachCheckUrl: e.PASSWORD_BREACH_CHECK_URL ?? null,
    lockout: { threshold: e.SIGNIN_LOCKOUT_THRESHOLD, baseSeconds: e.SIGNIN_LOCKOUT_BASE, maxSeconds: e.SIGNIN_LOCKOUT_MAX },
    emailVerificationTicketTtlSeconds: e.EMAIL_VERIFICATION_TICKET_TTL,
    passwordResetTicketTtlSeconds: e.PASSWORD_RESET_TICKET_TTL,
    emailLinkTarget: e.EMAIL_LINK_TARGET,
    userDefaultRole: e.USER_DEFAULT_ROLE,
    userRoles: e.USER_ROLES,
    mfa: { policy: e.MFA, requiredRoles: e.MFA_REQUIRED_ROLES, factors: e.MFA_FACTORS ?? null },
    hasuraClaims: e.JWT_HASURA_CLAIMS,
    trustProxy: e.TRUST_PROXY,
    corsOrigins: e.CORS_ORIGINS ?? defaultCorsOrigins(e.CLIENT_URL, e.ALLOWED_REDIRECT_URLS),
    sessionCookies: e.SESSION_COOKIES === "on",
    requestBodyLimit: e.REQUEST_BODY_LIMIT,
    migrateOnStart: e.MIGRATE_ON_START,
    metrics: e.METRICS === "on",
    emailDefaultLocale: e.EMAIL_DEFAULT_LOCALE,
    emailTemplatesDir: e.EMAIL_TEMPLATES_DIR,
    shutdownDelaySeconds: e.SHUTDOWN_DELAY,
    limits: {
      mailPerAddress: e.MAIL_LIMIT_PER_ADDRESS,
      mailPerIp: e.MAIL_LIMIT_PER_IP,
      anonymousPerIp: e.ANONYMOUS_LIMIT_PER_IP,
      passkeySignUpPerIp: e.WEBAUTHN_SIGN_UP_LIMIT_PER_IP,
      tokenSignIn: e.PAT_SIGN_IN_LIMIT,
    },
    sessionCookie: {
      // On https the `__Host-` prefix pins the cookie to this host, Secure and Path=/ (RFC 6265bis).
      name: publicUrl.startsWith("https:") ? `__Host-${e.SESSION_COOKIE_NAME}` : e.SESSION_COOKIE_NAME,
      sameSite: e.SESSION_COOKIE_SAMESITE,
      secure: publicUrl.startsWith("https:"),
    },
    logLevel: e.LOG_LEVEL,
    maxCredentialChecksPerRequest: e.MAX_CREDENTIAL_CHECKS_PER_REQUEST,
    anonymous: { enabled: e.ANONYMOUS_USERS === "on", retentionSeconds: e.ANONYMOUS_USER_RETENTION },
    totp: {
      issuer: e.TOTP_ISSUER,
      period: e.TOTP_PERIOD,
      skew: e.TOTP_SKEW,
      digits: e.TOTP_DIGITS,
      lockout: { threshold: e.TOTP_MAX_ATTEMPTS, baseSeconds: e.TOTP_LOCKOUT, maxSeconds: 16 * e.TOTP_LOCKOUT },
    },
    passwordless: {
      flowType: e.PASSWORDLESS_FLOW_TYPE,
      codeLifetimeSeconds: e.PASSWORDLESS_CODE_LIFETIME,
      maxAttempts: e.PASSWORDLESS_MAX_ATTEMPTS,
      codeLength: e.PASSWORDLESS_CODE_LENGTH,
      linkTarget: e.PASSWORDLESS_LINK_TARGET,
      resendInvalidatesEarlierCodes: e.PASSWORDLESS_RESEND_INVALIDATES,
      limitPerContact: e.PASSWORDLESS_LIMIT_PER_CONTACT,
      limitPerIp: e.PASSWORDLESS_LIMIT_PER_IP,
    },
    thirdParty: { providers: { public: e.THIRD_PARTY_PROVIDERS }, stateTtlSeconds: 600 },
    webauthn: {
      // Passkeys live on the frontend's origin: by default its host is the RP ID and its origin the only one allowed.
      rpId: e.WEBAUTHN_RP_ID ?? new URL(e.CLIENT_URL).hostname,
      rpName: e.WEBAUTHN_RP_NAME ?? e.TOTP_ISSUER,
      origins: (e.WEBAUTHN_ORIGINS ?? [e.CLIENT_URL]).map((url) => new URL(url).origin),
      userVerification: e.WEBAUTHN_USER_VERIFICATION,
      attestation: e.WEBAUTHN_ATTESTATION,
      timeoutSeconds: e.WEBAUTHN_TIMEOUT,
    },
    ...overrides,
  };
  if (!config.userRoles.includes(config.userDefaultRole)) {
    throw new ConfigError(`invalid configuration:\n  USER_DEFAULT_ROLE: "${config.userDefaultRole}" is not one of USER_ROLES (${config.userRoles.join(", ")})`);
  }
  const smsVariables = [e.SMS_ACCOUNT_SID, e.SMS_AUTH_TOKEN, e.SMS_FROM].filter(Boolean).length;
  if (smsVariables > 0 && smsVariables < 3) {
    throw new ConfigError("invalid configuration:\n  SMS_ACCOUNT_SID, SMS_AUTH_TOKEN, SMS_FROM: set all three to send SMS, or none");
  }
  if (config.sessionCookie.sameSite === "none" && !config.sessionCookie.secure) {
    throw new ConfigError(
      "invalid configuration:\n  SESSION_COOKIE_SAMESITE: none needs an https PUBLIC_URL (browsers drop SameSite=None cookies without Secure)",
    );
  }
  if (config.production) {
    // Production never runs on development defaults: each missing variable is named (SMTP_URL is checked
    // where the mailer is chosen, since an embedder may pass its own).
    const missing = [
      !config.encryptionKey && "ENCRYPTION_KEY: required when NODE_ENV=production (32 bytes as 64 hex digits or base64)",
      !(env.PUBLIC_URL || overrides.publicUrl) && "PUBLIC_URL: required when NODE_ENV=production (this server's URL: token issuer, links)",
      !(env.CLIENT_URL || overrides.clientUrl) && "CLIENT_URL: required when NODE_ENV=production (the frontend that links and redirects lead to)",
    ].filter((line): line is string => typeof line === "string");
    if (missing.length > 0) throw new ConfigError(`invalid configuration:\n  ${missing.join("\n  ")}`);
  }
  return config;
}
