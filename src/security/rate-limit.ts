/**
 * Request rate limits (N per window, fixed windows) shared by every server
 * process through the database, with rate-limiter-flexible's Prisma store.
 * Used where each request costs someone else (an email or SMS is sent).
 */
import { RateLimiterPrisma, RateLimiterRes } from "rate-limiter-flexible";
import type { PrismaClient } from "../generated/prisma/client.js";

export interface RateLimitPolicy {
  points: number;
  windowSeconds: number;
}

export type RateVerdict = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface RateLimit {
  consume(key: string): Promise<RateVerdict>;
}

export function createRateLimit(prisma: PrismaClient, name: string, policy: RateLimitPolicy): RateLimit {
  const limiter = new RateLimiterPrisma({
    storeClient: prisma,
    tableName: "rateLimiterFlexible",
    keyPrefix: name,
    points: policy.points,
    duration: policy.windowSeconds,
    clearExpiredByTimeout: false, // housekeeping deletes expired windows
  });
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return { allowed: true };
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) return { allowed: false, retryAfterMs: Math.max(1, outcome.msBeforeNext) };
        throw outcome; // the store failed: an outage, not a verdict
      }
    },
  };
}
