/**
 * Multi-factor sign-in. A first factor passed answers one of:
 * - a session, when the user needs no second factor;
 * - MFA_REQUIRED with a short-lived, single-use ticket and the second factors
 *   the user can finish with (each factor's verify mutation takes the ticket,
 *   which survives wrong codes and is spent by the right one);
 * - MFA_ENROLMENT_REQUIRED when policy (`MFA=required`, a tenant's or a role's)
 *   asks for a second factor the user has not got: the ticket then allows only
 *   enrolling one (createTotpDevice, verifyTotpDevice), which finishes the sign-in.
 * Every recipe's first factor reaches this through completeSignIn.
 */
import type { UserRow } from "../accounts/users.js";
import type { Deps } from "../deps.js";
import type { MfaEnrolmentRequiredValue, MfaRequiredValue } from "../results.js";
import { userAttemptKey } from "../security/attempt-limiter.js";
import { amrOf } from "../sessions/assurance.js";
import type { RequestMeta } from "../sessions/service.js";
import { openSession } from "../sessions/open-session.js";
import type { TicketType } from "../tickets.js";
import type { FirstFactorProof } from "./registry.js";

// Nhost's MFA ticket lives 5 minutes; enrolling a device (scanning, typing) gets 10.
const MFA_TICKET_TTL_SECONDS = 300;
const ENROLMENT_TICKET_TTL_SECONDS = 600;

/** Whether multi-factor sign-in applies to the user: the tenant's policy, their roles, or a factor they turned on. */
async function mfaPolicyFor(deps: Deps, user: UserRow): Promise<{ required: boolean; applies: boolean; allowed: string[] | null }> {
  const settings = await deps.tenants.settings(user.tenantId);
  if (settings.mfa === "off" || user.isAnonymous) return { required: false, applies: false, allowed: settings.mfaFactors };
  const required = settings.mfa === "required" || user.roles.some((role) => settings.mfaRequiredRoles.includes(role));
  return { required, applies: required || (await deps.mfa.activeType(user)) !== null, allowed: settings.mfaFactors };
}

/** The step after a first factor: null (open a session), a second factor, or enrolment first. */
export async function secondStep(deps: Deps, user: UserRow, first: FirstFactorProof): Promise<MfaRequiredValue | MfaEnrolmentRequiredValue | null> {
  const policy = await mfaPolicyFor(deps, user);
  if (!policy.applies) return null;
  const factors = await deps.mfa.secondFactors(user, first, policy.allowed);
  if (factors.length > 0) return { status: "MFA_REQUIRED", ticket: await issueTicket(deps, user, first, "mfaSignIn"), factors };
  if (!policy.required) return null;
  return { status: "MFA_ENROLMENT_REQUIRED", ticket: await issueTicket(deps, user, first, "mfaEnrol"), factors: deps.mfa.enrolableIds(policy.allowed) };
}

async function issueTicket(deps: Deps, user: UserRow, first: FirstFactorProof, type: "mfaSignIn" | "mfaEnrol"): Promise<string> {
  // The first factor was right: the account's failed sign-ins start again.
  const attemptKey = userAttemptKey(user);
  if (attemptKey) await deps.limiter.succeed(attemptKey);
  const ttlSeconds = type === "mfaSignIn" ? MFA_TICKET_TTL_SECONDS : ENROLMENT_TICKET_TTL_SECONDS;
  return deps.tickets.issue({ type, tenantId: user.tenantId, userId: user.id, ttlSeconds, data: { method: first.method, amr: first.amr } });
}

export interface PendingSignIn {
  type: TicketType;
  userId: string;
  tenantId: string;
  first: FirstFactorProof;
}

/** The sign-in a ticket stands for, left in place (a wrong code does not spend it); null when unknown or expired. */
export async function pendingSignIn(deps: Deps, ticket: string, types: Array<"mfaSignIn" | "mfaEnrol"> = ["mfaSignIn"]): Promise<PendingSignIn | null> {
  const found = await deps.tickets.peek(ticket, types);
  if (!found) return null;
  const data = (found.data ?? {}) as Partial<FirstFactorProof>;
  return {
    type: found.type as TicketType,
    userId: found.userId,
    tenantId: found.tenantId,
    first: { method: data.method ?? "unknown", amr: Array.isArray(data.amr) ? data.amr : [] },
  };
}

/** The user a pending sign-in is for, when still enabled. */
export async function pendingUser(deps: Deps, pending: PendingSignIn): Promise<UserRow | null> {
  const user = await deps.accounts.byId(pending.userId, pending.tenantId);
  return user && !user.disabled ? user : null;
}

/**
 * A second factor passed (or was enrolled): spends the ticket and opens the
 * session, proven by both factors (amr: the first factor's, the second's, "mfa").
 */
export async function finishSignIn(deps: Deps, ticket: string, pending: PendingSignIn, meta: RequestMeta, factor: string) {
  const user = (await deps.tickets.consume(ticket, [pending.type], pending.tenantId)) && (await pendingUser(deps, pending));
  if (!user) return { status: "INVALID_TICKET_ERROR" } as const;
  const amr = [...new Set([...pending.first.amr, ...amrOf(factor, { secondFactor: true })])];
  return { status: "OK", user, session: await openSession(deps, user, meta, factor, amr) } as const;
}
