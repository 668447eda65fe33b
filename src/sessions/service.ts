/**
 * Sessions. A session row is one refresh-token family: it holds the hash of the
 * family's current refresh token. Refreshing swaps that hash for the child's in
 * a conditional UPDATE (so concurrent refreshes cannot both rotate) and files
 * the spent hash in UsedRefreshToken; refreshes that arrive together share one
 * such statement (rotateMany).
 *
 * The child token is HMAC(server key, parent token): every tab that presents the
 * same parent within the grace window computes the same child, so concurrent
 * refreshes all succeed with one rotation and nothing secret is kept in the
 * clear. A spent token presented outside that window, or whose child has itself
 * been rotated, means two parties hold the family: the whole session is revoked
 * (OAuth 2.0 Security BCP §4.14 refresh-token rotation with reuse detection).
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import { addSeconds } from "../clock.js";
import { hmacSha256, randomToken, sha256 } from "../crypto/tokens.js";
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import type { SqlRunner } from "../db/database.js";
import { batched } from "../db/batched.js";
import type { AccessTokenClaims, AccessTokens } from "./access-token.js";
import type { ViewerCache } from "./viewer-cache.js";
import { userAttemptKey } from "../security/attempt-limiter.js";
import { USER_COLUMNS, type UserRow } from "../accounts/users.js";
import { amrOf, kindOf, type SessionKind } from "./assurance.js";

export interface SessionTokens {
  accessToken: string;
  accessTokenExpiresIn: number;
  refreshToken: string;
  refreshTokenId: string;
  userId: string;
}

export interface SessionUser {
  id: string;
  tenantId: string;
  roles: string[];
  defaultRole: string;
  isAnonymous: boolean;
}

/** Hasura's claims namespace (https://hasura.io/docs/latest/auth/authentication/jwt/). */
const HASURA_CLAIMS = "https://hasura.io/jwt/claims";

export interface RequestMeta {
  ip: string;
  userAgent: string;
}

export type RefreshResult =
  | { status: "OK"; session: SessionTokens }
  | { status: "UNAUTHORISED" }
  | { status: "TOKEN_THEFT_DETECTED"; sessionId: string; userId: string; tenantId: string };

export interface SessionInfo {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  userAgent: string;
  ip: string;
  kind: string;
  amr: string[];
  authenticatedAt: Date;
}

/** A live session as the viewer sees it: its user, and how and when it was proven. */
export interface LiveSession {
  user: UserRow;
  /** Last real authentication (auth_time): elevation is measured from it. */
  authenticatedAt: Date;
  kind: SessionKind;
  amr: string[];
  /** When the session was opened: a factor enrolled after this was enrolled by the session itself. */
  openedAt: Date;
}

export interface SessionService {
  /**
   * Opens a session for a sign-in by `method`. The same statement records the
   * "user.signed_in" audit event and clears the account's failed-attempt counter
   * (a success resets it): one round trip on the sign-in hot path.
   */
  create(
    user: SessionUser & { email: string | null; phoneNumber: string | null },
    meta: RequestMeta,
    method: string,
    /** How it was proven (default: what `method` stands for, see assurance.ts). */
    proof?: { amr?: string[]; kind?: SessionKind },
  ): Promise<SessionTokens>;
  refresh(refreshToken: string, meta: RequestMeta): Promise<RefreshResult>;
  /** The live session a refresh token belongs to, if any; `current` is false for a token already rotated away. */
  findByRefreshToken(refreshToken: string): Promise<{ id: string; userId: string; current: boolean } | null>;
  revoke(sessionId: string, reason: string, userId?: string): Promise<boolean>;
  revokeAll(userId: string, reason: string, exceptSessionId?: string): Promise<number>;
  list(userId: string): Promise<SessionInfo[]>;
  /** A step-up proof passed: the session's auth_time is now, and `amr` gains the proof's methods. */
  markAuthenticated(sessionId: string, amr: string[]): Promise<void>;
  /**
   * The user of a live session and when it last authenticated: one statement that
   * also proves the session unrevoked and unexpired and the user enabled, so
   * revocation takes effect at once. (A hot path: one statement on the driver;
   * see SqlRunner.)
   */
  live(sessionId: string, userId: string): Promise<LiveSession | null>;
  verifyAccessToken(token: string): Promise<AccessTokenClaims | null>;
  /** The claims of an access token verified before and still valid, without waiting (AccessTokens.verified). */
  verifiedAccessToken(token: string): AccessTokenClaims | undefined;
}

/** Extra access-token claims for a user (e.g. an organisation id); `sub`, `sid`, `tid`, `roles`, `iss`, `exp`... cannot be replaced. */
export type CustomClaims = (user: SessionUser) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface SessionServiceOptions {
  customClaims?: CustomClaims;
  prisma: PrismaClient;
  /** The hot statements (open, rotate, the live session) run on the driver. */
  sql: SqlRunner;
  /** Evicted on every revocation made here. */
  viewerCache: ViewerCache;
  clock: Clock;
  accessTokens: AccessTokens;
  /** Key for deriving child refresh tokens from their parents. */
  rotationKey: Buffer;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  graceSeconds: number;
  /** Absolute lifetime: a session ends this long after it was opened, however often it refreshes. */
  maxAgeSeconds: number;
  /** Add Hasura's claims block to access tokens. */
  hasuraClaims?: boolean;
}

const clip = (value: string, max: number) => value.slice(0, max);

export function createSessionService(options: SessionServiceOptions): SessionService {
  const { prisma, sql, clock, accessTokens, rotationKey } = options;
  const childOf = (token: string) => hmacSha256(rotationKey, token);

  /** How the session was proven, for the access token's amr and auth_time (RFC 8176, OpenID Connect Core §2). */
  type Proof = { amr: string[]; authenticatedAt: Date };

  /** The session's end whatever its refresh activity: SESSION_MAX_AGE after it was opened. */
  const maxAgeStart = (now: Date) => addSeconds(now, -options.maxAgeSeconds);

  async function tokensFor(sessionId: string, user: SessionUser, refreshToken: string, proof: Proof): Promise<SessionTokens> {
    // The embedder's claims go first: the standard ones below cannot be overwritten.
    const custom = options.customClaims ? await options.customClaims(user) : {};
    const accessToken = await accessTokens.sign({
      ...custom,
      sub: user.id,
      sid: sessionId,
      tid: user.tenantId,
      roles: user.roles,
      default_role: user.defaultRole,
      amr: proof.amr,
      auth_time: Math.floor(proof.authenticatedAt.getTime() / 1000),
      ...(options.hasuraClaims
        ? {
            [HASURA_CLAIMS]: {
              "x-hasura-allowed-roles": user.roles,
              "x-hasura-default-role": user.defaultRole,
              "x-hasura-user-id": user.id,
              "x-hasura-user-is-anonymous": String(user.isAnonymous),
            },
          }
        : {}),
    });
    return {
      accessToken,
      accessTokenExpiresIn: options.accessTokenTtlSeconds,
      refreshToken,
      refreshTokenId: sessionId,
      userId: user.id,
    };
  }

  type Rotated = SessionUser & Proof & { sessionId: string };
  type Rotation = { tokenHash: string; childHash: string };
  /**
   * Swaps each family's current token hash for its child's and files the spent
   * one, for many families in one statement; a token that is not current (rotated
   * already, by a batch before this one too), or whose family is revoked or
   * expired, gets no row. `wait` false skips the rows another statement holds
   * instead of waiting for them: a batch that waited while holding rows could
   * deadlock with a statement taking the same rows in another order (a sign-out
   * of every session).
   */
  const rotateStatement = (pairs: Rotation[], wait: boolean) => {
    const now = clock.now();
    // Idle expiry moves with each refresh, never past the absolute end (SESSION_MAX_AGE after opening).
    return sql.query<Rotated & { tokenHash: string }>(Prisma.sql`
      WITH locked AS (
        SELECT s.id, t."tokenHash", t."childHash"
        FROM unnest(${pairs.map((pair) => pair.tokenHash)}::text[], ${pairs.map((pair) => pair.childHash)}::text[]) AS t("tokenHash", "childHash")
        JOIN "Session" s ON s."currentTokenHash" = t."tokenHash"
        WHERE s."revokedAt" IS NULL AND s."expiresAt" > ${now} AND s."createdAt" > ${maxAgeStart(now)}
          AND EXISTS (SELECT 1 FROM "User" u WHERE u.id = s."userId" AND NOT u.disabled)
        FOR UPDATE OF s ${wait ? Prisma.empty : Prisma.sql`SKIP LOCKED`}
      ), rotated AS (
        UPDATE "Session" s
        SET "currentTokenHash" = l."childHash", "rotatedAt" = ${now}, "lastUsedAt" = ${now},
            "expiresAt" = LEAST(${addSeconds(now, options.refreshTokenTtlSeconds)}::timestamp(3), s."createdAt" + make_interval(secs => ${options.maxAgeSeconds}::float8))
        FROM locked l WHERE s.id = l.id
        RETURNING s.id, s."userId", s.amr, s."authenticatedAt", l."tokenHash"
      ), spent AS (
        INSERT INTO "UsedRefreshToken" ("tokenHash", "sessionId", "usedAt") SELECT "tokenHash", id, ${now} FROM rotated
      )
      SELECT r.id AS "sessionId", r.amr, r."authenticatedAt", r."tokenHash", u.id, u."tenantId", u.roles, u."defaultRole", u."isAnonymous"
      FROM rotated r JOIN "User" u ON u.id = r."userId"`);
  };
  /** Refreshes that arrive together (batched.ts). */
  const rotateMany = async (pairs: Rotation[]): Promise<Array<Rotated | undefined>> => {
    // Concurrent refreshes with the same token are one rotation (their child is the same).
    const unique = [...new Map(pairs.map((pair) => [pair.tokenHash, pair])).values()];
    const byToken = new Map<string, Rotated>();
    const file = (rows: Array<Rotated & { tokenHash: string }>) => {
      for (const { tokenHash, ...row } of rows) byToken.set(tokenHash, row);
    };
    file(await rotateStatement(unique, false));
    // Skipped is not refused: each family without a row goes again on its own and waits
    // for its row (holding no other, it cannot deadlock); a token that is not current gets none again.
    const rest = unique.filter((pair) => !byToken.has(pair.tokenHash));
    for (const rows of await Promise.all(rest.map((pair) => rotateStatement([pair], true)))) file(rows);
    return pairs.map((pair) => byToken.get(pair.tokenHash));
  };
  const rotate = batched(rotateMany, { maxInFlight: 2, maxBatch: 64 });

  async function loadSessionUser(sessionId: string): Promise<(SessionUser & Proof) | null> {
    const session = await prisma.session.findUnique({
      where: { id: sessionId, createdAt: { gt: maxAgeStart(clock.now()) } },
      select: {
        revokedAt: true,
        expiresAt: true,
        amr: true,
        authenticatedAt: true,
        user: { select: { id: true, tenantId: true, roles: true, defaultRole: true, isAnonymous: true, disabled: true } },
      },
    });
    if (!session || session.revokedAt || session.expiresAt <= clock.now() || session.user.disabled) return null;
    return { ...session.user, amr: session.amr, authenticatedAt: session.authenticatedAt };
  }

  const service: SessionService = {
    async create(user, meta, method, proof = {}) {
      const amr = proof.amr ?? amrOf(method);
      const kind = proof.kind ?? kindOf(method);
      const refreshToken = randomToken();
      const now = clock.now();
      const id = randomUUID();
      const ip = clip(meta.ip, 64);
      const userAgent = clip(meta.userAgent, 512);
      const attemptKey = userAttemptKey(user);
      await sql.execute(Prisma.sql`
        WITH opened AS (
          INSERT INTO "Session" (id, "userId", "tenantId", "currentTokenHash", "createdAt", "lastUsedAt", "authenticatedAt", "expiresAt", ip, "userAgent", amr, kind)
          VALUES (${id}::uuid, ${user.id}::uuid, ${user.tenantId}, ${sha256(refreshToken)}, ${now}, ${now}, ${now},
                  ${addSeconds(now, Math.min(options.refreshTokenTtlSeconds, options.maxAgeSeconds))}, ${ip}, ${userAgent}, ${amr}, ${kind})
          RETURNING id
        ), audited AS (
          INSERT INTO "AuditEvent" ("tenantId", "userId", type, ip, "userAgent", data, "createdAt")
          SELECT ${user.tenantId}, ${user.id}::uuid, 'user.signed_in', ${ip}, ${userAgent},
                 jsonb_build_object('method', ${method}::text, 'sessionId', opened.id), ${now}
          FROM opened
        )
        UPDATE "AttemptCounter" SET failures = 0, "lockedUntil" = NULL, "updatedAt" = ${now}
        WHERE key = ${attemptKey} AND failures > 0`);
      return tokensFor(id, user, refreshToken, { amr, authenticatedAt: now });
    },

    async refresh(refreshToken) {
      if (typeof refreshToken !== "string" || refreshToken.length === 0 || refreshToken.length > 512) {
        return { status: "UNAUTHORISED" };
      }
      const tokenHash = sha256(refreshToken);
      const child = childOf(refreshToken);
      const rotated = await rotate({ tokenHash, childHash: sha256(child) });
      if (rotated) return { status: "OK", session: await tokensFor(rotated.sessionId, rotated, child, rotated) };

      const spent = await prisma.usedRefreshToken.findUnique({
        where: { tokenHash },
        include: { session: true },
      });
      if (!spent) return { status: "UNAUTHORISED" };
      const { session } = spent;
      const now = clock.now();
      if (session.revokedAt || session.expiresAt <= now) return { status: "UNAUTHORISED" };
      const withinGrace = now.getTime() - spent.usedAt.getTime() <= options.graceSeconds * 1000;
      if (withinGrace && session.currentTokenHash === sha256(child)) {
        const user = await loadSessionUser(session.id);
        if (!user) return { status: "UNAUTHORISED" };
        return { status: "OK", session: await tokensFor(session.id, user, child, user) };
      }
      await service.revoke(session.id, "token_theft");
      return { status: "TOKEN_THEFT_DETECTED", sessionId: session.id, userId: session.userId, tenantId: session.tenantId };
    },

    async findByRefreshToken(refreshToken) {
      if (typeof refreshToken !== "string" || refreshToken.length > 512) return null;
      const tokenHash = sha256(refreshToken);
      // The current token, or one rotated away (a tab still holding the parent signs the session out too).
      const rows = await prisma.$queryRaw<Array<{ id: string; userId: string; current: boolean }>>`
        SELECT s.id, s."userId", s."currentTokenHash" = ${tokenHash} AS current FROM "Session" s
        WHERE s."revokedAt" IS NULL AND (s."currentTokenHash" = ${tokenHash}
          OR s.id = (SELECT "sessionId" FROM "UsedRefreshToken" WHERE "tokenHash" = ${tokenHash}))`;
      return rows[0] ?? null;
    },

    async revoke(sessionId, reason, userId) {
      options.viewerCache.forgetSession(sessionId);
      const { count } = await prisma.session.updateMany({
        where: { id: sessionId, revokedAt: null, ...(userId ? { userId } : {}) },
        data: { revokedAt: clock.now(), revokedReason: reason },
      });
      return count === 1;
    },

    async revokeAll(userId, reason, exceptSessionId) {
      options.viewerCache.forgetUser(userId);
      const { count } = await prisma.session.updateMany({
        where: { userId, revokedAt: null, ...(exceptSessionId ? { id: { not: exceptSessionId } } : {}) },
        data: { revokedAt: clock.now(), revokedReason: reason },
      });
      return count;
    },

    list(userId) {
      return prisma.session.findMany({
        where: { userId, revokedAt: null, expiresAt: { gt: clock.now() } },
        select: { id: true, createdAt: true, lastUsedAt: true, userAgent: true, ip: true, kind: true, amr: true, authenticatedAt: true },
        orderBy: { createdAt: "desc" },
      });
    },

    async markAuthenticated(sessionId, amr) {
      options.viewerCache.forgetSession(sessionId);
      await prisma.$executeRaw`
        UPDATE "Session" SET "authenticatedAt" = ${clock.now()}, amr = ARRAY(SELECT DISTINCT unnest(amr || ${amr}::text[]) ORDER BY 1)
        WHERE id = ${sessionId}::uuid`;
    },

    async live(sessionId, userId) {
      // expiresAt never passes the absolute end (create and rotate cap it), so this also ends old sessions.
      const rows = await sql.query<UserRow & { sessionAuthenticatedAt: Date; sessionKind: string; sessionAmr: string[]; sessionCreatedAt: Date }>(Prisma.sql`
        SELECT ${USER_COLUMNS}, s."authenticatedAt" AS "sessionAuthenticatedAt", s.kind AS "sessionKind", s.amr AS "sessionAmr",
               s."createdAt" AS "sessionCreatedAt"
        FROM "Session" s JOIN "User" u ON u.id = s."userId"
        WHERE s.id = ${sessionId}::uuid AND s."userId" = ${userId}::uuid
          AND s."revokedAt" IS NULL AND s."expiresAt" > ${clock.now()} AND NOT u.disabled`);
      const row = rows[0];
      if (!row) return null;
      const { sessionAuthenticatedAt, sessionKind, sessionAmr, sessionCreatedAt, ...user } = row;
      return { user, authenticatedAt: sessionAuthenticatedAt, kind: sessionKind as SessionKind, amr: sessionAmr, openedAt: sessionCreatedAt };
    },

    verifyAccessToken: (token) => accessTokens.verify(token),
    verifiedAccessToken: (token) => accessTokens.verified(token),
  };
  return service;
}
