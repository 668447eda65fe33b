/**
 * Anonymous users (Nhost): a session for a visitor with no account yet, whose
 * data stays with the same user id when they later make the account permanent
 * with an email and password, or an email for passwordless sign-in.
 */
import type { Context } from "../../context.js";
import type { Deps } from "../../deps.js";
import type { ApiResult } from "../../results.js";
import { completeSignIn, type SessionWithUser } from "../../sessions/sign-in.js";
import { parseSignUpOptions, type SignUpOptionsInput } from "../../accounts/sign-up-options.js";
import { normaliseEmail, type UserRow } from "../../accounts/users.js";
import { checkEmail, invalid } from "../../validation.js";
import { checkPassword, checkTenant } from "../../tenants/check.js";
import type { EmailPasswordFunctions } from "../emailpassword/service.js";
import { createTicketMail } from "../emailpassword/ticket-mail.js";

const ANONYMOUS_ROLE = "anonymous";

export interface AnonymousApis {
  signInAnonymous(
    input: { displayName?: string | null; locale?: string | null; metadata?: unknown; tenantId: string },
    ctx: Context,
  ): ApiResult<{ user: UserRow; session: SessionWithUser }>;
  deanonymizeUser(
    input: { signInMethod: "EMAIL_PASSWORD" | "PASSWORDLESS"; email: string; password?: string | null; options?: SignUpOptionsInput | null },
    ctx: Context,
  ): ApiResult<object>;
}

export function createAnonymousApis(deps: Deps, emailPasswordFunctions: EmailPasswordFunctions): AnonymousApis {
  const { config } = deps;
  const ticketMail = createTicketMail(deps, emailPasswordFunctions);
  return {
    async signInAnonymous({ displayName, locale, metadata, tenantId }, ctx) {
      if (!config.anonymous.enabled) return { status: "SIGN_UP_NOT_ALLOWED", reason: "Anonymous sign-in is disabled" };
      const { profile, errors } = parseSignUpOptions(config, { displayName, locale, metadata });
      const bad = invalid(...errors, await checkTenant(deps, tenantId, "anonymous"));
      if (bad) return bad;
      // Each anonymous sign-in is a user and a session: limited per client IP.
      const limited = await deps.sendLimits.anonymousSignIn(ctx.meta.ip);
      if (limited) return limited;
      const created = await deps.accounts.signUp(
        {
          tenantId,
          isAnonymous: true,
          profile: { ...profile, roles: [ANONYMOUS_ROLE], defaultRole: ANONYMOUS_ROLE },
        },
        ctx.meta,
      );
      if (created.status !== "OK") throw new Error("an anonymous user has no address to be taken");
      const { user } = created;
      const signedIn = await completeSignIn(deps, user, ctx.meta, "anonymous");
      if (signedIn.status !== "OK") throw new Error("a new anonymous user cannot be disabled or have a second factor");
      return { status: "OK", user, session: signedIn.session };
    },

    async deanonymizeUser({ signInMethod, email, password, options }, ctx) {
      const viewer = await ctx.viewer();
      if (!viewer) return { status: "UNAUTHORISED" };
      const { profile, redirectTo, errors } = parseSignUpOptions(config, options);
      const withPassword = signInMethod === "EMAIL_PASSWORD";
      const bad = invalid(
        checkEmail("email", email),
        withPassword ? await checkPassword(deps, "password", password ?? "", viewer.user.tenantId, email) : null,
        ...errors,
      );
      if (bad) return bad;
      const { user } = viewer;
      if (!user.isAnonymous) return { status: "USER_NOT_ANONYMOUS_ERROR" };
      const normalised = normaliseEmail(email);
      const passwordHash = withPassword ? await deps.hasher.hash(password!) : null;
      // The same user (id, data, sessions) becomes a permanent account, with an address it has yet to prove.
      const permanent = await deps.accounts.makePermanent(
        user,
        {
          email: normalised,
          passwordHash,
          roles: profile.roles,
          defaultRole: profile.defaultRole,
          ...(options?.displayName != null ? { displayName: profile.displayName } : {}),
          ...(options?.locale != null ? { locale: profile.locale } : {}),
        },
        { recipeId: withPassword ? "emailpassword" : "passwordless", email: normalised, verified: false },
        ctx.meta,
      );
      if (permanent !== "OK") return { status: permanent };
      // Either way the address is proved by a link (passwordless sign-in also verifies it).
      await ticketMail.sendVerification(user, normalised, redirectTo);
      return { status: "OK" };
    },
  };
}
