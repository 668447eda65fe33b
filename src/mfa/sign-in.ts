/**
 * Multi-factor sign-in: the first factor passed answers MFA_REQUIRED with a
 * short-lived, single-use ticket (Nhost's 5 minutes) and the factors the user can
 * finish with; a second factor's verify mutation checks the ticket (which
 * survives wrong codes) and finishes the sign-in, spending it. Every recipe's
 * first factor reaches this through completeSignIn; every second factor finishes
 * through `finishSignIn`.
 */
import type { UserRow } from "../accounts/users.js";
import type { Deps } from "../deps.js";
import type { MfaRequiredValue } from "../results.js";
import { userAttemptKey } from "../security/attempt-limiter.js";
import { amrOf } from "../sessions/assurance.js";
import type { RequestMeta } from "../sessions/service.js";
import { openSession } from "../sessions/open-session.js";

// Nhost's MFA ticket lives 5 minutes.
const MFA_TICKET_TTL_SECONDS = 300;

/** The first factor was right: a ticket for the second, and the factors the user has set up. */
export async function requireSecondFactor(deps: Deps, user: UserRow): Promise<MfaRequiredValue> {
  const attemptKey = userAttemptKey(user);
  if (attemptKey) await deps.limiter.succeed(attemptKey);
  const ticket = await deps.tickets.issue({ type: "mfaSignIn", tenantId: user.tenantId, userId: user.id, ttlSeconds: MFA_TICKET_TTL_SECONDS });
  return { status: "MFA_REQUIRED", ticket, factors: await deps.mfa.factorsSetUp(user.id) };
}

/** The sign-in a ticket stands for, left in place (a wrong code does not spend it); null when unknown or expired. */
export function pendingSignIn(deps: Deps, ticket: string) {
  return deps.tickets.peek(ticket, ["mfaSignIn"]);
}

/** A second factor passed: spends the ticket and opens the session (amr: the factor, and "mfa"). */
export async function finishSignIn(deps: Deps, ticket: string, pending: { userId: string; tenantId: string }, meta: RequestMeta, factor: string) {
  const user = (await deps.tickets.consume(ticket, ["mfaSignIn"], pending.tenantId)) && (await deps.accounts.byId(pending.userId));
  if (!user || user.disabled) return { status: "INVALID_TICKET_ERROR" } as const;
  return { status: "OK", user, session: await openSession(deps, user, meta, factor, amrOf(factor, { secondFactor: true })) } as const;
}
