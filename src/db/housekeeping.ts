/**
 * Deletes what the core can no longer use, so tables do not grow without end:
 * expired tickets, sessions that ended (expired or revoked) more than a
 * retention period ago (their spent refresh-token hashes go with them),
 * attempt counters unlocked and unused for a day, and ended rate-limit windows.
 * Each recipe's definition adds its own (expired challenges, states, devices,
 * tokens, stale anonymous users). Every server process may run it: each
 * statement is idempotent.
 */
import type { Clock } from "../clock.js";
import { addSeconds } from "../clock.js";
import type { PrismaClient } from "../generated/prisma/client.js";

// Ended sessions stay listable for audits and theft investigation for a while.
const ENDED_SESSION_RETENTION_SECONDS = 7 * 86400;
// A counter untouched for a day is forgotten: that forgives fewer guesses than the
// one-hour longest lock already lets through (10 a day against 24).
const IDLE_COUNTER_SECONDS = 86400;

/** Rows deleted, by what they were: the core's (tickets, sessions, counters) and each recipe's. */
export type HousekeepingResult = Record<string, number>;

export async function deleteExpired(prisma: PrismaClient, clock: Clock): Promise<HousekeepingResult> {
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
  return { tickets: tickets.count, sessions: sessions.count, counters: counters.count + windows.count };
}
