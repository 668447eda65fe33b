/**
 * The one path every first-factor sign-in ends on: refuse disabled users; when
 * the user has a second factor, answer MFA_REQUIRED with a short-lived ticket
 * instead of a session; otherwise open a session, record the event and reset the
 * account's failed attempts. Every recipe gets multi-factor sign-in from here.
 */
import type { Deps } from "../deps.js";
import { userAttemptKey } from "../security/attempt-limiter.js";
import type { UserRow } from "../accounts/users.js";
import type { RequestMeta, SessionTokens } from "./service.js";

export type SessionWithUser = SessionTokens & { user: UserRow };

export type SignInOutcome =
  | { status: "OK"; user: UserRow; session: SessionWithUser }
  | { status: "MFA_REQUIRED"; ticket: string; factors: string[] }
  | { status: "USER_DISABLED_ERROR" };

// Nhost's MFA ticket lives 5 minutes.
const MFA_TICKET_TTL_SECONDS = 300;

export async function completeSignIn(
  deps: Deps,
  user: UserRow,
  meta: RequestMeta,
  method: string,
  /** `amr`: how the session was proven, when more than `method` says (a second factor, a user-verifying passkey). */
  { secondFactorPassed = false, amr }: { secondFactorPassed?: boolean; amr?: string[] } = {},
): Promise<SignInOutcome> {
  if (user.disabled) return { status: "USER_DISABLED_ERROR" };
  if (user.activeMfaType && !secondFactorPassed) {
    const attemptKey = userAttemptKey(user);
    if (attemptKey) await deps.limiter.succeed(attemptKey); // the first factor was right
    const ticket = await deps.tickets.issue({ type: "mfaSignIn", tenantId: user.tenantId, userId: user.id, ttlSeconds: MFA_TICKET_TTL_SECONDS });
    const recovery = (await deps.mfa.recoveryCodesRemaining(user.id)) > 0;
    return { status: "MFA_REQUIRED", ticket, factors: [user.activeMfaType, ...(recovery ? ["recoveryCode"] : [])] };
  }
  // Also records the audit event and resets the account's failed attempts.
  const session = await deps.sessions.create(user, meta, method, amr ? { amr } : {});
  deps.logger.info({ audit: "user.signed_in", userId: user.id, tenantId: user.tenantId, method }, "audit");
  return { status: "OK", user, session: { ...session, user } };
}
