/**
 * Failure counters with growing lockouts, shared by every server process
 * through the database. An attempt is counted *before* the credential is
 * checked, in one conditional upsert, so parallel guesses cannot slip past the
 * limit; a success clears the counter.
 *
 * After `threshold` consecutive failures the key is locked for `baseSeconds`,
 * doubling with each further failure up to `maxSeconds` (issue #2's defaults:
 * 10, 30 s, 1 h).
 */
import type { Clock } from "../clock.js";
import { USER_COLUMNS, type UserPreload, type UserRow } from "../accounts/users.js";
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import type { SqlRunner } from "../db/database.js";

/**
 * The counter every credential pathway of one account shares (password,
 * passwordless codes; TOTP and recovery codes as they land): the account's
 * normalised email (or, without one, its E.164 phone number) in its tenant, so an
 * unknown address is counted exactly like a known one.
 */
export function accountAttemptKey(tenantId: string, emailOrPhone: string): string {
  return `account:${tenantId}:${emailOrPhone.trim().toLowerCase()}`;
}

/** The same key for a known user (null for one with neither email nor phone). */
export function userAttemptKey(user: { tenantId: string; email: string | null; phoneNumber: string | null }): string | null {
  const contact = user.email ?? user.phoneNumber;
  return contact ? accountAttemptKey(user.tenantId, contact) : null;
}

export interface LockoutPolicy {
  threshold: number;
  baseSeconds: number;
  maxSeconds: number;
}

/** `failures`: the attempts counted so far, this one included (until a success clears them). */
export type AttemptVerdict = { allowed: true; failures: number } | { allowed: false; retryAfterMs: number };

export interface AttemptLimiter {
  /** Counts an attempt unless the key is locked; the caller then checks the credential. */
  begin(key: string): Promise<AttemptVerdict>;
  /**
   * The same, and the account with this (normalised) email in the same round trip:
   * a password sign-in needs both, and a round trip costs more than the lookup.
   * `preload`: a fact about the account read in the same statement (the sign-in's
   * next question, whether multi-factor sign-in is on: Mfa.preload).
   */
  beginFor(key: string, account: { tenantId: string; email: string }, preload?: UserPreload | null): Promise<{ verdict: AttemptVerdict; user: UserRow | null }>;
  /** The credential was right: forget the failures. */
  succeed(key: string): Promise<void>;
  /** Whether a failure of this attempt locks the key (for the audit log's user.locked_out). */
  locksOut(verdict: AttemptVerdict): boolean;
}

/**
 * `onLock(scope)` hears of each attempt that reaches the threshold and so locks
 * its key (`scope` is the key's kind: "account", "totp"); the lock stays unless
 * that very attempt proves right.
 */
export function createAttemptLimiter(
  prisma: PrismaClient,
  sql: SqlRunner,
  clock: Clock,
  policy: LockoutPolicy,
  onLock?: (scope: string) => void,
): AttemptLimiter {
  /** One statement: count the attempt unless locked (and read the account when asked). */
  async function count(
    key: string,
    account?: { tenantId: string; email: string },
    preload?: UserPreload | null,
  ): Promise<{ verdict: AttemptVerdict; user: UserRow | null }> {
    const now = clock.now();
    const { threshold, baseSeconds, maxSeconds } = policy;
    const rows = await sql.query<UserRow & { counted_failures: number | null; preloaded: unknown }>(Prisma.sql`
      WITH counted AS (
        INSERT INTO "AttemptCounter" AS c (key, failures, "lockedUntil", "updatedAt")
        VALUES (${key}, 1, CASE WHEN 1 >= ${threshold}::int THEN ${now}::timestamp(3) + make_interval(secs => ${baseSeconds}::float8) END, ${now}::timestamp(3))
        ON CONFLICT (key) DO UPDATE SET
          failures = c.failures + 1,
          "lockedUntil" = CASE WHEN c.failures + 1 >= ${threshold}::int
            THEN ${now}::timestamp(3) + make_interval(secs => LEAST(${baseSeconds}::float8 * power(2, LEAST(c.failures + 1 - ${threshold}::int, 40)), ${maxSeconds}::float8))
          END,
          "updatedAt" = ${now}::timestamp(3)
        WHERE c."lockedUntil" IS NULL OR c."lockedUntil" <= ${now}::timestamp(3)
        RETURNING failures
      )
      SELECT (SELECT failures FROM counted) AS counted_failures, ${USER_COLUMNS}, ${preload?.column ?? Prisma.sql`NULL`} AS preloaded
      FROM (SELECT 1) AS one
      LEFT JOIN "User" u ON ${account !== undefined} AND u."tenantId" = ${account?.tenantId ?? ""} AND u.email = ${account?.email ?? ""}`);
    const { counted_failures: failures, preloaded, ...row } = rows[0]!;
    const user = row.id ? (row as UserRow) : null;
    if (user && preload) preload.keep(user, preloaded);
    if (failures !== null) {
      if (failures === policy.threshold) onLock?.(key.slice(0, key.indexOf(":")));
      return { verdict: { allowed: true, failures }, user };
    }
    const locked = await prisma.attemptCounter.findUnique({ where: { key }, select: { lockedUntil: true } });
    const retryAfterMs = Math.max(1, (locked?.lockedUntil?.getTime() ?? now.getTime()) - now.getTime());
    return { verdict: { allowed: false, retryAfterMs }, user };
  }

  return {
    begin: async (key) => (await count(key)).verdict,
    locksOut: (verdict) => verdict.allowed && verdict.failures >= policy.threshold,
    beginFor: (key, account, preload) => count(key, account, preload),
    async succeed(key) {
      // Reset in place rather than deleted: the row is reused by the next attempt (a cheap HOT update).
      await sql.execute(Prisma.sql`
        UPDATE "AttemptCounter" SET failures = 0, "lockedUntil" = NULL, "updatedAt" = ${clock.now()} WHERE key = ${key} AND failures > 0`);
    },
  };
}
