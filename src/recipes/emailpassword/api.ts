/**
 * What each email/password GraphQL field does, as overridable functions of
 * (input, context) returning status values. They combine the recipe's
 * functions with sessions, lockouts, tickets and email.
 */
import type { Context } from "../../context.js";
import { accountHolder, elevationRequired, isElevated, mayStepUpWith, stepUp } from "../../context.js";
import type { Deps } from "../../deps.js";
import type { ApiResult, FieldError, SignInApiResult, TenantInput } from "../../results.js";
import { completeSignIn, type SessionWithUser } from "../../sessions/sign-in.js";
import { parseSignUpOptions, type SignUpOptionsInput } from "../../accounts/sign-up-options.js";
import { normaliseEmail, type UserRow } from "../../accounts/users.js";
import { checkEmail, checkRedirect, invalid } from "../../validation.js";
import { allowsFactor, checkPassword, checkTenant, emailVerificationOf } from "../../tenants/check.js";
import { accountAttemptKey, userAttemptKey } from "../../security/attempt-limiter.js";
import { ticketLink } from "./links.js";
import { createTicketMail } from "./ticket-mail.js";
import { spendResetTicket, type EmailPasswordFunctions } from "./service.js";

export interface FormFieldConfig {
  id: string;
  optional?: boolean;
  /** Returns an error message for a bad value. */
  validate?: (value: string, tenantId: string) => string | undefined | Promise<string | undefined>;
}

export interface EmailPasswordOptions {
  /** Extra sign-up form fields (SuperTokens' formFields); unknown ids are refused. */
  formFields?: FormFieldConfig[];
  /** Turns sign-up off (Nhost's AUTH_DISABLE_SIGNUP). */
  signUpDisabled?: boolean;
}

export interface EmailPasswordApis {
  signUpEmailPassword(
    input: TenantInput & { email: string; password: string; options?: SignUpOptionsInput | null; formFields?: Array<{ id: string; value: string }> | null },
    ctx: Context,
  ): SignInApiResult<{ user: UserRow; session: SessionWithUser | null; createdNewUser: boolean }>;
  signInEmailPassword(input: TenantInput & { email: string; password: string }, ctx: Context): SignInApiResult<{ user: UserRow; session: SessionWithUser }>;
  emailExists(input: TenantInput & { email: string }, ctx: Context): Promise<boolean>;
  sendPasswordResetEmail(input: TenantInput & { email: string; redirectTo?: string | null }, ctx: Context): ApiResult<object>;
  /**
   * Spends a reset ticket and recovers the account. Without `newPassword` (the
   * emailed link opened on this server, GET /verify) the user is signed in
   * instead, to choose the password with changePassword in the fresh session.
   */
  resetPassword(input: TenantInput & { token: string; newPassword: string | null }, ctx: Context): SignInApiResult<{ session?: SessionWithUser }>;
  changePassword(input: { newPassword: string; signOutOtherSessions: boolean }, ctx: Context): ApiResult<object>;
  changeEmail(input: { newEmail: string; redirectTo?: string | null }, ctx: Context): ApiResult<object>;
  sendVerificationEmail(input: TenantInput & { email: string; redirectTo?: string | null }, ctx: Context): ApiResult<object>;
  /** Spends a verification or email-change ticket; with `signIn` (the link opened on this server) also signs the user in, where the tenant lets them sign in by this address. */
  verifyEmail(input: TenantInput & { token: string; signIn?: boolean }, ctx: Context): SignInApiResult<{ user: UserRow; session?: SessionWithUser }>;
  /** Step-up: the signed-in user's password elevates the session (not for users with multi-factor sign-in on: they prove a second factor). */
  elevatePassword(input: { password: string }, ctx: Context): ApiResult<{ elevatedUntil: Date }>;
}

export function createEmailPasswordApis(deps: Deps, functions: EmailPasswordFunctions, options: EmailPasswordOptions = {}): EmailPasswordApis {
  const { config } = deps;

  async function checkFormFields(fields: Array<{ id: string; value: string }>, tenantId: string): Promise<FieldError[]> {
    const configured = options.formFields ?? [];
    const errors: FieldError[] = [];
    for (const field of fields) {
      if (!configured.some((known) => known.id === field.id)) errors.push({ id: field.id, error: "is not a known form field" });
    }
    for (const known of configured) {
      const value = fields.find((field) => field.id === known.id)?.value;
      if (value === undefined || value === "") {
        if (!known.optional) errors.push({ id: known.id, error: "is required" });
        continue;
      }
      const problem = await known.validate?.(value, tenantId);
      if (problem) errors.push({ id: known.id, error: problem });
    }
    return errors;
  }

  const { mail, sendVerification } = createTicketMail(deps, functions);

  /** The reset link opened on this server: recovery, then a fresh session (or the second factor) in which to set the password. */
  async function resetByLink(token: string, tenantId: string, ctx: Context) {
    const bad = invalid(await checkTenant(deps, tenantId, "emailpassword"));
    if (bad) return bad;
    const user = await spendResetTicket(deps, token, tenantId);
    if (!user) return { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" } as const;
    const recovered = await deps.accounts.recover(user, {}, ctx.meta);
    return completeSignIn(deps, recovered, ctx.meta, "passwordReset");
  }

  return {
    async signUpEmailPassword({ email, password, options: signUpOptions, formFields, tenantId }, ctx) {
      const { profile, redirectTo, errors } = parseSignUpOptions(config, signUpOptions);
      const bad = invalid(
        await checkTenant(deps, tenantId, "emailpassword"),
        checkEmail("email", email),
        await checkPassword(deps, "password", password, tenantId, email),
        ...errors,
        ...(await checkFormFields(formFields ?? [], tenantId)),
      );
      if (bad) return bad;
      if (options.signUpDisabled) return { status: "SIGN_UP_NOT_ALLOWED", reason: "Sign-up is disabled" };
      const created = await functions.signUp({ email, password, tenantId, profile, meta: ctx.meta });
      if (created.status !== "OK") return created;
      const { user } = created;
      const verification = await emailVerificationOf(deps, tenantId);
      if (verification !== "off") await sendVerification(user, user.email!, redirectTo);
      if (verification === "required") return { status: "OK", user, session: null, createdNewUser: true };
      // Where MFA is required, a new user enrols a second factor before the first session.
      const signedIn = await completeSignIn(deps, user, ctx.meta, "emailpassword");
      return signedIn.status === "OK" ? { status: "OK", user, session: signedIn.session, createdNewUser: true } : signedIn;
    },

    async signInEmailPassword({ email, password, tenantId }, ctx) {
      const bad = invalid(await checkTenant(deps, tenantId, "emailpassword"), checkEmail("email", email));
      if (bad) return bad;
      if ([...password].length > config.passwordMaxLength) return { status: "WRONG_CREDENTIALS_ERROR" };
      // Keyed by the address, so unknown emails lock out exactly like real ones and reveal nothing.
      const attemptKey = accountAttemptKey(tenantId, email);
      // Counting the attempt, finding the account and whether multi-factor sign-in is on for it is one round trip.
      const { verdict, user: account } = await deps.limiter.beginFor(attemptKey, { tenantId, email: normaliseEmail(email) }, deps.mfa.preload());
      if (!verdict.allowed) return { status: "LIMIT_REACHED_ERROR", retryAfterMs: verdict.retryAfterMs };
      const checked = await functions.signIn({ email, password, tenantId, user: account });
      if (checked.status !== "OK") {
        // Tied to the account it targeted (when there is one), so its owner and admins see the guessing.
        const failed = { tenantId, userId: account?.id ?? null, ip: ctx.meta.ip, userAgent: ctx.meta.userAgent };
        await deps.audit.record({ ...failed, type: "user.sign_in_failed", data: { method: "emailpassword", email: normaliseEmail(email) } });
        if (deps.limiter.locksOut(verdict)) await deps.audit.record({ ...failed, type: "user.locked_out", data: { failures: verdict.failures } });
        return checked;
      }
      const { user } = checked;
      // A right password clears the failures even when the sign-in stops short of a session below.
      const unverified = !user.emailVerified && (await emailVerificationOf(deps, tenantId)) === "required";
      if (user.disabled || unverified) await deps.limiter.succeed(attemptKey);
      if (user.disabled) return { status: "USER_DISABLED_ERROR" };
      if (unverified) return { status: "EMAIL_NOT_VERIFIED_ERROR" };
      return completeSignIn(deps, user, ctx.meta, "emailpassword");
    },

    async elevatePassword({ password }, ctx) {
      const viewer = await accountHolder(ctx);
      if ("status" in viewer) return viewer;
      const { user } = viewer;
      if (!user.passwordHash || !(await mayStepUpWith(deps, viewer, "password"))) return elevationRequired(deps, viewer);
      // Wrong passwords here count like wrong sign-ins: a stolen session cannot guess its way to elevation.
      const attemptKey = userAttemptKey(user);
      const verdict = attemptKey ? await deps.limiter.begin(attemptKey) : null;
      if (verdict && !verdict.allowed) return { status: "LIMIT_REACHED_ERROR", retryAfterMs: verdict.retryAfterMs };
      if ([...password].length > config.passwordMaxLength || !(await deps.hasher.verify(user.passwordHash, password))) {
        await deps.audit.recordFor(ctx.meta, "user.sign_in_failed", user, { method: "elevatePassword" });
        return { status: "WRONG_CREDENTIALS_ERROR" };
      }
      if (attemptKey) await deps.limiter.succeed(attemptKey);
      return stepUp(deps, viewer, "password", ctx.meta);
    },

    async emailExists({ email, tenantId }) {
      if (checkEmail("email", email) || (await checkTenant(deps, tenantId))) return false;
      return Boolean(await functions.getUserByEmail({ email, tenantId }));
    },

    async sendPasswordResetEmail({ email, redirectTo, tenantId }, ctx) {
      const bad = invalid(await checkTenant(deps, tenantId, "emailpassword"), checkEmail("email", email), checkRedirect(config, "redirectTo", redirectTo));
      if (bad) return bad;
      // Limited per address whether or not it has an account: the limit says nothing either.
      const limited = await deps.sendLimits.mail(tenantId, normaliseEmail(email), ctx.meta.ip);
      if (limited) return limited;
      const user = await functions.getUserByEmail({ email, tenantId });
      if (user?.email && !user.disabled) {
        const address = user.email;
        // The ticket and the email are made after the answer, so a real account answers as fast as an unknown one.
        deps.background(
          (async () => {
            const created = await functions.createResetPasswordToken({ userId: user.id, email: address, tenantId });
            if (created.status !== "OK") return;
            mail(
              "passwordReset",
              address,
              ticketLink(config, "passwordReset", created.token, tenantId, redirectTo),
              user,
              config.passwordResetTicketTtlSeconds,
            );
          })(),
          "password reset email",
        );
      }
      return { status: "OK" }; // always: the answer does not say whether the account exists
    },

    async resetPassword({ token, newPassword, tenantId }, ctx) {
      if (newPassword === null) return resetByLink(token, tenantId, ctx);
      // The policy also refuses the account's own address: the ticket says which it is.
      const ticket = await deps.tickets.peek(token, ["passwordReset"]);
      const bad = invalid(await checkTenant(deps, tenantId, "emailpassword"), await checkPassword(deps, "newPassword", newPassword, tenantId, ticket?.email));
      if (bad) return bad;
      // Recovery: every session and PAT ends, every ticket is spent, the lockout clears (API.md "Accounts").
      const reset = await functions.resetPasswordUsingToken({ token, newPassword, tenantId, meta: ctx.meta });
      return reset.status === "OK" ? { status: "OK" } : reset;
    },

    async changePassword({ newPassword, signOutOtherSessions }, ctx) {
      const viewer = await accountHolder(ctx);
      if ("status" in viewer) return viewer;
      const bad = invalid(await checkPassword(deps, "newPassword", newPassword, viewer.user.tenantId, viewer.user.email));
      if (bad) return bad;
      if (!isElevated(deps, viewer)) return elevationRequired(deps, viewer);
      const updated = await functions.updateEmailOrPassword({ userId: viewer.user.id, password: newPassword, meta: ctx.meta });
      if (updated.status !== "OK") return { status: "UNAUTHORISED" };
      if (signOutOtherSessions) await deps.sessions.revokeAll(viewer.user.id, "password_changed", viewer.sessionId);
      return { status: "OK" };
    },

    async changeEmail({ newEmail, redirectTo }, ctx) {
      const viewer = await accountHolder(ctx);
      if ("status" in viewer) return viewer;
      const bad = invalid(checkEmail("newEmail", newEmail), checkRedirect(config, "redirectTo", redirectTo));
      if (bad) return bad;
      if (!isElevated(deps, viewer)) return elevationRequired(deps, viewer);
      const { user } = viewer;
      const taken = await functions.getUserByEmail({ email: newEmail, tenantId: user.tenantId });
      if (taken) return { status: "EMAIL_ALREADY_EXISTS_ERROR" };
      const email = normaliseEmail(newEmail);
      const limited = await deps.sendLimits.mail(user.tenantId, email, ctx.meta.ip);
      if (limited) return limited;
      const token = await deps.tickets.issue({
        type: "emailConfirmChange",
        tenantId: user.tenantId,
        userId: user.id,
        email,
        redirectTo,
        ttlSeconds: config.emailVerificationTicketTtlSeconds,
      });
      mail(
        "emailConfirmChange",
        email,
        ticketLink(config, "emailConfirmChange", token, user.tenantId, redirectTo),
        user,
        config.emailVerificationTicketTtlSeconds,
      );
      await deps.audit.recordFor(ctx.meta, "email.change_requested", user);
      return { status: "OK" };
    },

    async sendVerificationEmail({ email, redirectTo, tenantId }, ctx) {
      const bad = invalid(await checkTenant(deps, tenantId), checkEmail("email", email), checkRedirect(config, "redirectTo", redirectTo));
      if (bad) return bad;
      const limited = await deps.sendLimits.mail(tenantId, normaliseEmail(email), ctx.meta.ip);
      if (limited) return limited;
      const user = await functions.getUserByEmail({ email, tenantId });
      if (!user?.email) return { status: "OK" };
      const sent = await sendVerification(user, user.email, redirectTo);
      // Whether an address is verified is the owner's business: anyone else gets OK, whatever the account.
      return (await ctx.viewer())?.user.id === user.id ? sent : { status: "OK" };
    },

    async verifyEmail({ token, tenantId, signIn }, ctx) {
      const bad = invalid(await checkTenant(deps, tenantId));
      if (bad) return bad;
      const verified = await functions.verifyEmailUsingToken({ token, tenantId, meta: ctx.meta });
      if (verified.status !== "OK") return verified;
      // An email change is announced to the address it leaves (GoTrue's secure email change).
      if (verified.previousEmail) {
        mail("emailChanged", verified.previousEmail, config.clientUrl, verified.user, 0);
        return verified;
      }
      // As Nhost does, following a verification link also signs in: a sign-in by this address, so only
      // where the tenant offers one (email and password, or passwordless).
      if (!signIn || !((await allowsFactor(deps, tenantId, "emailpassword")) || (await allowsFactor(deps, tenantId, "passwordless")))) return verified;
      const signedIn = await completeSignIn(deps, verified.user, ctx.meta, "emailVerify");
      return signedIn.status === "OK" ? { ...verified, session: signedIn.session } : signedIn;
    },
  };
}
