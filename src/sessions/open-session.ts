/** Opens a session for a user whose sign-in is complete (every factor it needs passed). */
import type { UserRow } from "../accounts/users.js";
import type { Deps } from "../deps.js";
import type { RequestMeta, SessionTokens } from "./service.js";

export type SessionWithUser = SessionTokens & { user: UserRow };

/** Also records the audit event and resets the account's failed attempts (one statement, see sessions.create). */
export async function openSession(deps: Deps, user: UserRow, meta: RequestMeta, method: string, amr?: string[]): Promise<SessionWithUser> {
  const session = await deps.sessions.create(user, meta, method, amr ? { amr } : {});
  deps.logger.info({ audit: "user.signed_in", userId: user.id, tenantId: user.tenantId, method }, "audit");
  return { ...session, user };
}
