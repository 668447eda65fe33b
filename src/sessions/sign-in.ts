/**
 * The one path every first-factor sign-in ends on: refuse disabled users,
 * open a session, record the event, reset the account's failed attempts. When the TOTP recipe lands, the
 * multi-factor check belongs here, so every recipe gets it at once.
 */
import type { Deps } from "../deps.js";
import type { UserRow } from "../users/users.js";
import type { RequestMeta, SessionTokens } from "./service.js";

export type SessionWithUser = SessionTokens & { user: UserRow };

export type SignInOutcome = { status: "OK"; user: UserRow; session: SessionWithUser } | { status: "USER_DISABLED_ERROR" };

export async function completeSignIn(deps: Deps, user: UserRow, meta: RequestMeta, method: string): Promise<SignInOutcome> {
  if (user.disabled) return { status: "USER_DISABLED_ERROR" };
  // Also records the audit event and resets the account's failed attempts.
  const session = await deps.sessions.create(user, meta, method);
  deps.logger.info({ audit: "user.signed_in", userId: user.id, tenantId: user.tenantId, method }, "audit");
  return { status: "OK", user, session: { ...session, user } };
}
