/**
 * The shared pieces every recipe uses, built once per app from its config.
 * Everything a test may want to replace (clock, mailer, hasher, database) can be
 * passed in; the rest is derived.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import pino, { type Logger } from "pino";
import { createAuditLog, type AuditLog } from "./audit.js";
import { systemClock, type Clock } from "./clock.js";
import { ConfigError, type Config } from "./config.js";
import { createEncrypter, type Encrypter } from "./crypto/encryption.js";
import { createArgon2Hasher, type PasswordHasher } from "./crypto/password-hasher.js";
import { openDatabase, type Database, type SqlRunner } from "./db/database.js";
import { createOutbox, createSmtpMailer, type Mailer } from "./delivery/mailer.js";
import { createMetrics, type Metrics } from "./observability/metrics.js";
import { createLifecycle, type Lifecycle } from "./lifecycle.js";
import { createSecurityEventBus, type SecurityEventBus } from "./security/event-bus.js";
import { createMessages, type EmailTemplates, type LocalisedMessages } from "./delivery/email-templates.js";
import { createHttpSmsSender, createSmsOutbox, type SmsSender } from "./delivery/sms.js";
import { createAttemptLimiter, type AttemptLimiter } from "./security/attempt-limiter.js";
import { createAccessTokens } from "./sessions/access-token.js";
import { createSessionService, type CustomClaims, type SessionService } from "./sessions/service.js";
import { createSigningKeys, type SigningKeys } from "./sessions/signing-keys.js";
import { createViewerCache, type ViewerCache } from "./sessions/viewer-cache.js";
import { createTenantStore, type TenantStore } from "./tenants/tenants.js";
import { createTicketStore, type TicketStore } from "./tickets.js";
import { createUserStore } from "./accounts/users.js";
import { createAccounts, type Accounts } from "./accounts/accounts.js";
import { createAccountStore } from "./accounts/store.js";
import { createMfa, type Mfa } from "./mfa/registry.js";
import { createSendLimits, type SendLimits } from "./security/send-limits.js";
import { createBreachedPasswords, type BreachedPasswords } from "./security/breached-passwords.js";
import type { PrismaClient } from "./generated/prisma/client.js";

export interface Deps {
  config: Config;
  clock: Clock;
  logger: Logger;
  db: Database;
  prisma: PrismaClient;
  /** The hot statements' runner (db.sql): see SqlRunner. */
  sql: SqlRunner;
  encrypter: Encrypter;
  hasher: PasswordHasher;
  keys: SigningKeys;
  sessions: SessionService;
  viewerCache: ViewerCache;
  /** The one owner of users and login methods (reads and writes). */
  accounts: Accounts;
  /** The factor registry (second factors, step-up proofs), filled by the recipes. */
  mfa: Mfa;
  breachedPasswords: BreachedPasswords;
  /** Limits on paths that cost mail or rows (reset and verification emails, anonymous users, PAT sessions). */
  sendLimits: SendLimits;
  tenants: TenantStore;
  tickets: TicketStore;
  limiter: AttemptLimiter;
  audit: AuditLog;
  /** Wakes securityEvents subscribers when their user's audit events commit, on any process. */
  securityEventBus: SecurityEventBus;
  /** Draining (shutdown begun): /readyz answers 503, subscriptions end; and what is in flight, for shutdown to wait on. */
  lifecycle: Lifecycle;
  /** Counted by `metrics` (sent or failed). */
  mailer: Mailer;
  sms: SmsSender;
  metrics: Metrics;
  /** Every message sent, in the recipient's language. */
  messages: LocalisedMessages;
  /** Work started by a request that must not delay its answer (e.g. sending email); drained on shutdown. */
  background(task: Promise<unknown>, what: string): void;
  /** Resolves once nothing is in flight: background tasks, and the requests' work (lifecycle.track). */
  idle(): Promise<void>;
}

export interface DepsOptions {
  database?: Database;
  clock?: Clock;
  logger?: Logger;
  mailer?: Mailer;
  sms?: SmsSender;
  passwordHasher?: PasswordHasher;
  /** Replaces these emails in every language. */
  emailTemplates?: Partial<EmailTemplates>;
  /** Replaces emails per locale (`{ "pt-BR": { passwordReset } }`); a new locale's other emails are the default locale's. */
  emailTemplatesByLocale?: Record<string, Partial<EmailTemplates>>;
  /** Extra claims for access tokens (called at sign-in and at every refresh). */
  customClaims?: CustomClaims;
}

/** Outside production the key may be generated once and kept beside the embedded database. */
async function encryptionKey(config: Config, logger: Logger): Promise<Buffer> {
  if (config.encryptionKey) return config.encryptionKey;
  const file = path.join(config.dataDir, "encryption.key");
  const existing = await readFile(file, "utf8").catch(() => undefined);
  if (existing) return Buffer.from(existing.trim(), "hex");
  const key = randomBytes(32);
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, key.toString("hex") + "\n", { mode: 0o600, flag: "wx" }).catch(async () => undefined);
  logger.warn({ file }, "ENCRYPTION_KEY is not set: generated one for development; set ENCRYPTION_KEY in production");
  return Buffer.from((await readFile(file, "utf8")).trim(), "hex");
}

/** The sender as given (a test's outbox keeps its own methods), its sends counted. */
function counted<S extends { send(message: never): Promise<void> }>(sender: S, metrics: Metrics, channel: "email" | "sms"): S {
  const send = async (message: never) => {
    try {
      await sender.send(message);
      metrics.message(channel, "sent");
    } catch (error) {
      metrics.message(channel, "failed");
      throw error;
    }
  };
  return new Proxy(sender, { get: (target, property, receiver) => (property === "send" ? send : Reflect.get(target, property, receiver)) });
}

export async function createDeps(config: Config, options: DepsOptions = {}): Promise<Deps> {
  if (config.production && !options.mailer && !config.smtpUrl) {
    throw new ConfigError(
      "invalid configuration:\n  SMTP_URL: required when NODE_ENV=production (without it emails go to the log, which is for development only)",
    );
  }
  const logger = options.logger ?? pino({ level: config.logLevel });
  const clock = options.clock ?? systemClock;
  const db =
    options.database ??
    (await openDatabase({
      url: config.databaseUrl,
      directUrl: config.databaseDirectUrl,
      preparedStatements: config.databasePreparedStatements,
      poolSize: config.databasePoolSize,
      dataDir: path.join(config.dataDir, "pglite"),
    }));
  const prisma = db.prisma;
  const encrypter = createEncrypter(await encryptionKey(config, logger));
  const keys = createSigningKeys({
    prisma,
    encrypter,
    clock,
    rotationSeconds: config.signingKeyRotationSeconds,
    tokenTtlSeconds: config.accessTokenTtlSeconds,
    onUnreadableKey: (kid, error) => logger.error({ kid, err: error }, "signing key cannot be decrypted with this ENCRYPTION_KEY; starting a new signing key"),
  });
  const accessTokens = createAccessTokens({
    keys,
    clock,
    issuer: config.publicUrl,
    audience: config.publicUrl,
    ttlSeconds: config.accessTokenTtlSeconds,
  });
  const viewerCache = createViewerCache(clock, config.sessionCacheTtlSeconds);
  const sessions = createSessionService({
    prisma,
    sql: db.sql,
    viewerCache,
    clock,
    accessTokens,
    rotationKey: encrypter.deriveKey("refresh-token rotation v1"),
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    graceSeconds: config.refreshGraceSeconds,
    maxAgeSeconds: config.sessionMaxAgeSeconds,
    hasuraClaims: config.hasuraClaims,
    customClaims: options.customClaims,
  });
  const audit = createAuditLog(prisma, clock, logger);
  const accounts = createAccounts({ users: createUserStore(prisma, db.sql), store: createAccountStore(prisma, clock), viewerCache, audit, clock });
  // Only development writes a message's body (its links and codes) to the log.
  const logBodies = config.nodeEnv === "development";
  // What is in flight, requests' work and background tasks alike: shutdown waits for it.
  const lifecycle = createLifecycle();
  const metrics = createMetrics({ processMetrics: config.metrics });
  return {
    config,
    clock,
    logger,
    db,
    prisma,
    sql: db.sql,
    encrypter,
    hasher: options.passwordHasher ?? createArgon2Hasher(),
    keys,
    sessions,
    viewerCache,
    accounts,
    mfa: createMfa(),
    sendLimits: createSendLimits({ prisma, config }),
    breachedPasswords: createBreachedPasswords({ url: config.passwordBreachCheckUrl, logger }),
    tenants: createTenantStore(prisma, config, encrypter, clock),
    tickets: createTicketStore(prisma, clock),
    limiter: createAttemptLimiter(prisma, db.sql, clock, config.lockout, metrics.lockout),
    audit,
    securityEventBus: createSecurityEventBus(db),
    lifecycle,
    mailer: counted(
      options.mailer ?? (config.smtpUrl ? createSmtpMailer(config.smtpUrl, config.emailFrom) : createOutbox(logger, logBodies)),
      metrics,
      "email",
    ),
    sms: counted(options.sms ?? (config.sms ? createHttpSmsSender(config.sms) : createSmsOutbox(logger, logBodies)), metrics, "sms"),
    metrics,
    messages: createMessages({
      defaultLocale: config.emailDefaultLocale,
      dir: config.emailTemplatesDir,
      everywhere: options.emailTemplates,
      byLocale: options.emailTemplatesByLocale,
    }),
    background(task, what) {
      lifecycle.track(task.catch((error: unknown) => logger.error({ err: error }, `${what} failed`)));
    },
    idle: () => lifecycle.settled(),
  };
}
