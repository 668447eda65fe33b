/**
 * Deletes what can no longer be used, so tables do not grow without end:
 * expired tickets, sessions that ended (expired or revoked) more than a
 * retention period ago (their spent refresh-token hashes go with them), and
 * attempt counters unlocked and unused for a day, ended rate-limit windows,
 * expired personal access tokens, WebAuthn challenges and OAuth states, anonymous users unused for ANONYMOUS_USER_RETENTION, and
 * passwordless sign-ins whose codes have all expired. Every server process may
 * run it: each statement is idempotent.
 */
import type { Clock } from "../clock.js";
import { addSeconds } from "../clock.js";
import type { PrismaClient } from "../generated/prisma/client.js";

// Ended sessions stay listable for audits and theft investigation for a while.
const ENDED_SESSION_RETENTION_SECONDS = 7 * 86400;
// A counter untouched for a day is forgotten: that forgives fewer guesses than the
// one-hour longest lock already lets through (10 a day against 24).
const IDLE_COUNTER_SECONDS = 86400;

export interface HousekeepingResult {
  anonymousUsers: number;
  devices: number;
  tickets: number;
  sessions: number;
  counters: number;
}

export async function deleteExpired(prisma: PrismaClient, clock: Clock, anonymousRetentionSeconds = 30 * 86400): Promise<HousekeepingResult> {
  const now = clock.now();
  const cutoff = addSeconds(now, -ENDED_SESSION_RETENTION_SECONDS);
  const tickets = await prisma.ticket.deleteMany({ where: { expiresAt: { lte: now } } });
  const sessions = await prisma.session.deleteMany({
    where: { OR: [{ expiresAt: { lte: cutoff } }, { revokedAt: { lte: cutoff } }] },
  });
  const counters = await prisma.attemptCounter.deleteMany({
    where: {
      updatedAt: { lte: addSeconds(now, -IDLE_COUNTER_SECONDS) },
      OR: [{ lockedUntil: null }, { lockedUntil: { lte: now } }],
    },
  });
  const windows = await prisma.rateLimiterFlexible.deleteMany({ where: { expire: { lte: now } } });
  await prisma.personalAccessToken.deleteMany({ where: { expiresAt: { lte: now } } });
  await prisma.webauthnChallenge.deleteMany({ where: { expiresAt: { lte: now } } });
  await prisma.oAuthState.deleteMany({ where: { expiresAt: { lte: now } } });
  // A day-old sign-in whose every code has expired can never be finished.
  const devices = await prisma.$executeRaw`
    DELETE FROM "PasswordlessDevice" d
    WHERE NOT EXISTS (SELECT 1 FROM "PasswordlessCode" c WHERE c."preAuthSessionId" = d."preAuthSessionId" AND c."expiresAt" > ${now})
      AND d."createdAt" <= ${addSeconds(now, -86400)}`;
  // Anonymous users nobody came back to: created long ago and without a live session.
  const anonymous = await prisma.user.deleteMany({
    where: {
      isAnonymous: true,
      createdAt: { lte: addSeconds(now, -anonymousRetentionSeconds) },
      sessions: { none: { revokedAt: null, expiresAt: { gt: now } } },
    },
  });
  return { tickets: tickets.count, sessions: sessions.count, counters: counters.count + windows.count, devices, anonymousUsers: anonymous.count };
}
