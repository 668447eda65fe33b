/**
 * The second-factor limiter: wrong second factors (TOTP codes, recovery codes)
 * count twice, against the user's own second-factor limit (TOTP_MAX_ATTEMPTS,
 * per user across factors and devices) and against the account's failed
 * sign-ins (API.md: every pathway), so guessing codes also locks the password,
 * and a locked account takes no codes. A right code clears both.
 */
import type { Deps } from "../deps.js";
import { createAttemptLimiter, userAttemptKey, type AttemptLimiter } from "../security/attempt-limiter.js";

/** The counter every second factor of a user shares. */
export const secondFactorAttemptKey = (userId: string) => `totp:${userId}`;

export function createSecondFactorLimiter(deps: Deps): Pick<AttemptLimiter, "begin" | "succeed"> {
  const own = createAttemptLimiter(deps.prisma, deps.sql, deps.clock, deps.config.totp.lockout, (scope) => deps.metrics.lockout(scope));
  const accountKey = async (userId: string) => {
    const user = await deps.accounts.byId(userId);
    return user ? userAttemptKey(user) : null;
  };
  return {
    async begin(userId) {
      const verdict = await own.begin(secondFactorAttemptKey(userId));
      if (!verdict.allowed) return verdict;
      const key = await accountKey(userId);
      const account = key ? await deps.limiter.begin(key) : verdict;
      return account.allowed ? verdict : account;
    },
    async succeed(userId) {
      await own.succeed(secondFactorAttemptKey(userId));
      const key = await accountKey(userId);
      if (key) await deps.limiter.succeed(key);
    },
  };
}
