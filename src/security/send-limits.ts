/**
 * Limits on every path that costs mail, SMS or rows (issue: the edge): emails
 * sent per address and per client IP (reset, verification and email-change
 * links), anonymous sign-ins and passkey sign-up options per IP, and sessions
 * opened per personal access token. Kept in PostgreSQL (rate-limit.ts), so every
 * process shares them; an unknown client IP is one shared bucket. Passwordless
 * codes (and second-factor codes) have their own, older limits in that recipe.
 */
import { UNKNOWN_IP } from "../context.js";
import { sha256 } from "../crypto/tokens.js";
import type { Config } from "../config.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { createRateLimit, type RateLimit } from "./rate-limit.js";

type Limited = { status: "LIMIT_REACHED_ERROR"; retryAfterMs: number } | null;

export interface SendLimits {
  /** An email to `address` (normalised), asked for from `ip`. */
  mail(tenantId: string, address: string, ip: string): Promise<Limited>;
  anonymousSignIn(ip: string): Promise<Limited>;
  passkeySignUp(ip: string): Promise<Limited>;
  /** A session opened with this personal access token. */
  tokenSignIn(token: string): Promise<Limited>;
}

export function createSendLimits({ prisma, config }: { prisma: PrismaClient; config: Config }): SendLimits {
  const { limits } = config;
  // Made on first use: building the schema alone (schema:print) needs no database.
  const made = new Map<string, RateLimit>();
  const limiter = (name: keyof Config["limits"]) => {
    let found = made.get(name);
    if (!found) made.set(name, (found = createRateLimit(prisma, name, limits[name])));
    return found;
  };
  async function consume(...checks: Array<[keyof Config["limits"], string]>): Promise<Limited> {
    for (const [name, key] of checks) {
      const verdict = await limiter(name).consume(key);
      if (!verdict.allowed) return { status: "LIMIT_REACHED_ERROR", retryAfterMs: verdict.retryAfterMs };
    }
    return null;
  }
  return {
    mail: (tenantId, address, ip) => consume(["mailPerAddress", `${tenantId}:${address}`], ["mailPerIp", ip || UNKNOWN_IP]),
    anonymousSignIn: (ip) => consume(["anonymousPerIp", ip || UNKNOWN_IP]),
    passkeySignUp: (ip) => consume(["passkeySignUpPerIp", ip || UNKNOWN_IP]),
    tokenSignIn: (token) => consume(["tokenSignIn", sha256(token)]),
  };
}
