/**
 * The one path every first-factor sign-in ends on: refuse disabled users; when
 * multi-factor sign-in applies to the user, answer MFA_REQUIRED (or
 * MFA_ENROLMENT_REQUIRED) with a short-lived ticket instead of a session
 * (mfa/sign-in.ts); otherwise open a session, record the event and reset the
 * account's failed attempts. Every recipe gets multi-factor sign-in from here.
 */
import type { Deps } from "../deps.js";
import { secondStep } from "../mfa/sign-in.js";
import { openSession, type SessionWithUser } from "./open-session.js";
import type { UserRow } from "../accounts/users.js";
import type { RequestMeta } from "./service.js";
import type { MfaEnrolmentRequiredValue, MfaRequiredValue } from "../results.js";
import { amrOf } from "./assurance.js";

export type { SessionWithUser };

export type SignInOutcome =
  | { status: "OK"; user: UserRow; session: SessionWithUser }
  | MfaRequiredValue
  | MfaEnrolmentRequiredValue
  | { status: "USER_DISABLED_ERROR" };

export async function completeSignIn(
  deps: Deps,
  user: UserRow,
  meta: RequestMeta,
  method: string,
  /** `amr`: how the session was proven, when more than `method` says (a second factor, a user-verifying passkey). */
  { secondFactorPassed = false, amr }: { secondFactorPassed?: boolean; amr?: string[] } = {},
): Promise<SignInOutcome> {
  if (user.disabled) return { status: "USER_DISABLED_ERROR" };
  if (!secondFactorPassed) {
    const next = await secondStep(deps, user, { method, amr: amr ?? amrOf(method) });
    if (next) return next;
  }
  return { status: "OK", user, session: await openSession(deps, user, meta, method, amr) };
}
