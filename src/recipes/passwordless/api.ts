/** What each passwordless GraphQL field does, as overridable functions returning status values. */
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { UNKNOWN_IP, accountHolder, elevationRequired, isElevated, type Context } from "../../context.js";
import type { Deps } from "../../deps.js";
import type { ApiResult, FieldError, SignInApiResult, TenantInput } from "../../results.js";
import { completeSignIn, type SessionWithUser } from "../../sessions/sign-in.js";
import { amrOf } from "../../sessions/assurance.js";
import { checkTenant } from "../../tenants/check.js";
import { parseSignUpOptions, type SignUpOptionsInput } from "../../accounts/sign-up-options.js";
import { normaliseEmail, type UserRow } from "../../accounts/users.js";
import { checkEmail, invalid } from "../../validation.js";
import { createRateLimit, type RateLimit } from "../../security/rate-limit.js";
import { accountAttemptKey } from "../../security/attempt-limiter.js";
import type { PasswordlessMessages } from "./messages.js";
import type { CreatedCode, PasswordlessFunctions } from "./service.js";
import { createFactorCodeApis, type FactorCodeApis } from "./factor-codes.js";

export interface PasswordlessOptions {
  messages?: Partial<PasswordlessMessages>;
  /** Only existing users may sign in: createCode answers SignInUpNotAllowedError for unknown addresses. */
  signUpDisabled?: boolean;
}

export interface PasswordlessApis extends FactorCodeApis {
  /**
   * Sends a code and/or link to an address. With shouldTryLinkingWithSessionUser
   * (an elevated session), the code adds the address to the signed-in account
   * instead of signing anyone in (consumeCode with the same flag and session).
   */
  createCode(
    input: TenantInput & {
      email?: string | null;
      phoneNumber?: string | null;
      options?: SignUpOptionsInput | null;
      shouldTryLinkingWithSessionUser?: boolean | null;
    },
    ctx: Context,
  ): ApiResult<{ deviceId: string; preAuthSessionId: string; flowType: string }>;
  resendCode(input: TenantInput & { deviceId: string; preAuthSessionId: string }, ctx: Context): ApiResult<object>;
  /** Finishes a sign-in; with shouldTryLinkingWithSessionUser, adds the proven address to the signed-in account (session: null, the current one goes on). */
  consumeCode(
    input: TenantInput & {
      preAuthSessionId: string;
      deviceId?: string | null;
      userInputCode?: string | null;
      linkCode?: string | null;
      shouldTryLinkingWithSessionUser?: boolean | null;
    },
    ctx: Context,
  ): SignInApiResult<{ createdNewRecipeUser: boolean; user: UserRow; session: SessionWithUser | null }>;
  phoneNumberExists(input: TenantInput & { phoneNumber: string }, ctx: Context): Promise<boolean>;
}

/** E.164, or null for anything libphonenumber cannot read as a valid international number. */
function normalisePhoneNumber(phoneNumber: string): string | null {
  if (phoneNumber.length > 32) return null;
  const parsed = parsePhoneNumberFromString(phoneNumber.trim());
  return parsed?.isValid() ? parsed.number : null;
}

// Codes and ids we hand out are short; anything longer is not ours.
const MAX_TOKEN_LENGTH = 256;

export function createPasswordlessApis(deps: Deps, functions: PasswordlessFunctions, options: PasswordlessOptions = {}): PasswordlessApis {
  const { config } = deps;
  const { flowType, codeLifetimeSeconds } = config.passwordless;
  /**
   * The recipient's language: `locale` when the caller holds the account already,
   * else the locale of the address's account, if it has one.
   */
  const messagesFor = async (
    to: { email?: string | null; phoneNumber?: string | null },
    tenantId: string,
    locale: string | null | undefined,
  ): Promise<PasswordlessMessages> => {
    if (locale === undefined) {
      const account = to.email ? await deps.accounts.byEmail(tenantId, to.email) : await deps.accounts.byPhone(tenantId, to.phoneNumber!);
      locale = account?.locale ?? null;
    }
    const localised = deps.messages.for(locale);
    return { email: localised.signInEmail, sms: localised.signInSms, ...options.messages };
  };
  // Made on first use: building the schema alone (schema:print) needs no database.
  let limiters: Array<[RateLimit, "ip" | "contact"]> | undefined;
  const rateLimiters = () =>
    (limiters ??= [
      [createRateLimit(deps.prisma, "passwordless-ip", config.passwordless.limitPerIp), "ip"],
      [createRateLimit(deps.prisma, "passwordless-contact", config.passwordless.limitPerContact), "contact"],
    ]);

  /** Each code sent costs an email or SMS: limited per address and per client IP (when known). */
  async function limit(contact: string, tenantId: string, ip: string): Promise<{ status: "LIMIT_REACHED_ERROR"; retryAfterMs: number } | null> {
    for (const [limiter, kind] of rateLimiters()) {
      // Requests whose address is unknown share one bucket: never no limit.
      const key = kind === "ip" ? ip || UNKNOWN_IP : `${tenantId}:${contact}`;
      const verdict = await limiter.consume(key);
      if (!verdict.allowed) return { status: "LIMIT_REACHED_ERROR", retryAfterMs: verdict.retryAfterMs };
    }
    return null;
  }

  function magicLink(code: CreatedCode, tenantId: string, redirectTo: string | null | undefined): string {
    if (config.passwordless.linkTarget === "server") {
      // Nhost's shape: this server consumes the link and redirects with a refresh token.
      const url = new URL(`${config.publicUrl}/verify`);
      url.searchParams.set("type", "signinPasswordless");
      url.searchParams.set("ticket", code.linkCode);
      url.searchParams.set("preAuthSessionId", code.preAuthSessionId);
      url.searchParams.set("tenantId", tenantId);
      url.searchParams.set("redirectTo", redirectTo ?? config.clientUrl);
      return url.toString();
    }
    const url = new URL(redirectTo ?? `${config.clientUrl}/verify`);
    url.searchParams.set("preAuthSessionId", code.preAuthSessionId);
    url.searchParams.set("tenantId", tenantId);
    url.hash = code.linkCode; // a fragment never reaches servers' logs
    return url.toString();
  }

  /** Sends the code; a failed send is an error the client sees (nothing was sent, so nothing leaks). */
  async function deliver(
    code: CreatedCode,
    to: { email?: string | null; phoneNumber?: string | null },
    tenantId: string,
    redirectTo?: string | null,
    /** A code typed where it was asked for (a second factor, a step-up): never a link. */
    codeOnly = false,
    /** The recipient's locale when the caller knows the account (undefined: look the address up). */
    locale?: string | null,
  ): Promise<boolean> {
    const sent = codeOnly ? "USER_INPUT_CODE" : flowType;
    const input = {
      flowType: sent,
      userInputCode: sent === "MAGIC_LINK" ? undefined : code.userInputCode,
      link: sent === "USER_INPUT_CODE" ? undefined : magicLink(code, tenantId, redirectTo),
      expiresInMinutes: Math.round(codeLifetimeSeconds / 60),
    };
    try {
      const messages = await messagesFor(to, tenantId, locale);
      if (to.email) await deps.mailer.send({ to: to.email, ...messages.email(input) });
      else await deps.sms.send({ to: to.phoneNumber!, body: messages.sms(input) });
      return true;
    } catch (error) {
      deps.logger.error({ err: error }, "sending a passwordless code failed");
      return false;
    }
  }

  function contactErrors(email?: string | null, phoneNumber?: string | null): { errors: FieldError[]; phone: string | null } {
    if ((email == null) === (phoneNumber == null)) {
      return { errors: [{ id: "email", error: "give exactly one of email and phoneNumber" }], phone: null };
    }
    if (email != null) return { errors: [checkEmail("email", email)].filter((e): e is FieldError => Boolean(e)), phone: null };
    const phone = normalisePhoneNumber(phoneNumber!);
    return { errors: phone ? [] : [{ id: "phoneNumber", error: "is not a valid phone number in international format (+...)" }], phone };
  }

  /** Linking an address to the signed-in account: a real account, an elevated session, its own tenant. */
  async function linkingViewer(ctx: Context, tenantId: string) {
    const viewer = await accountHolder(ctx);
    if ("status" in viewer) return viewer;
    if (!isElevated(deps, viewer)) return elevationRequired(deps, viewer);
    if (viewer.user.tenantId !== tenantId) return invalid({ id: "tenantId", error: "must be the signed-in user's tenant" })!;
    return viewer;
  }

  /** Why the address cannot join the account, if it cannot: another account's, or not the account's kind of change. */
  async function linkRefusal(
    user: UserRow,
    to: { email?: string; phoneNumber?: string },
    tenantId: string,
    known?: "TAKEN" | "OTHER",
  ): Promise<{ status: "EMAIL_ALREADY_EXISTS_ERROR" } | ReturnType<typeof invalid> | null> {
    const field = to.email ? "email" : "phoneNumber";
    let outcome = known;
    if (!outcome) {
      const owner = to.email ? await deps.accounts.byEmail(tenantId, to.email) : await deps.accounts.byPhone(tenantId, to.phoneNumber!);
      const current = to.email ? user.email : user.phoneNumber;
      outcome = owner && owner.id !== user.id ? "TAKEN" : current && current !== (to.email ?? to.phoneNumber) ? "OTHER" : undefined;
    }
    if (outcome === "TAKEN") return to.email ? { status: "EMAIL_ALREADY_EXISTS_ERROR" } : invalid({ id: field, error: "belongs to another account" });
    if (outcome === "OTHER")
      return invalid({ id: field, error: `the account has another ${to.email ? "email (change it with changeEmail)" : "phone number"}` });
    return null;
  }

  return {
    ...createFactorCodeApis(deps, functions, { deliver: (code, to, tenantId, locale) => deliver(code, to, tenantId, null, true, locale), limit }),

    async createCode({ email, phoneNumber, options: signUpOptions, tenantId, shouldTryLinkingWithSessionUser }, ctx) {
      const linking = shouldTryLinkingWithSessionUser ? await linkingViewer(ctx, tenantId) : null;
      if (linking && "status" in linking) return linking;
      const contact = contactErrors(email, phoneNumber);
      const { profile, redirectTo, errors } = parseSignUpOptions(config, signUpOptions);
      const bad = invalid(await checkTenant(deps, tenantId, "passwordless"), ...contact.errors, ...errors);
      if (bad) return bad;
      const to = email != null ? { email: normaliseEmail(email) } : { phoneNumber: contact.phone! };
      if (linking) {
        const refused = await linkRefusal(linking.user, to, tenantId);
        if (refused) return refused;
      }
      const limited = await limit(to.email ?? to.phoneNumber!, tenantId, ctx.meta.ip);
      if (limited) return limited;
      if (!linking && options.signUpDisabled) {
        // Invite-only: telling unknown addresses apart is the point here.
        const known = to.email
          ? await deps.accounts.byEmail(tenantId, to.email)
          : await functions.getUserByPhoneNumber({ phoneNumber: to.phoneNumber!, tenantId });
        if (!known) return { status: "SIGN_IN_UP_NOT_ALLOWED", reason: "Sign-up is disabled" };
      }
      // A linking code carries the account and session it is for; a sign-in's, the new user's profile.
      const stored = linking ? { linkTo: { userId: linking.user.id, sessionId: linking.sessionId } } : { profile, redirectTo };
      const code = await functions.createCode({ ...to, tenantId, options: stored });
      if (!(await deliver(code, to, tenantId, linking ? null : redirectTo))) {
        await functions.revokeAllCodes({ tenantId, preAuthSessionId: code.preAuthSessionId });
        return { status: "GENERAL_ERROR", message: "The code could not be sent; try again later" };
      }
      return { status: "OK", deviceId: code.deviceId, preAuthSessionId: code.preAuthSessionId, flowType };
    },

    async resendCode({ deviceId, preAuthSessionId, tenantId }, ctx) {
      if (deviceId.length > MAX_TOKEN_LENGTH || preAuthSessionId.length > MAX_TOKEN_LENGTH) return { status: "RESTART_FLOW_ERROR" };
      const device = await functions.listCodesByPreAuthSessionId({ preAuthSessionId, tenantId });
      if (!device) return { status: "RESTART_FLOW_ERROR" };
      const limited = await limit((device.email ?? device.phoneNumber)!, tenantId, ctx.meta.ip);
      if (limited) return limited;
      const created = await functions.createNewCodeForDevice({ deviceId, tenantId });
      if (created.status !== "OK" || created.preAuthSessionId !== preAuthSessionId) return { status: "RESTART_FLOW_ERROR" };
      const redirectTo = device.options.redirectTo;
      if (!(await deliver(created, created, tenantId, redirectTo))) {
        return { status: "GENERAL_ERROR", message: "The code could not be sent; try again later" };
      }
      return { status: "OK" };
    },

    async consumeCode({ preAuthSessionId, deviceId, userInputCode, linkCode, tenantId, shouldTryLinkingWithSessionUser }, ctx) {
      const linking = shouldTryLinkingWithSessionUser ? await linkingViewer(ctx, tenantId) : null;
      if (linking && "status" in linking) return linking;
      const byCode = deviceId != null && userInputCode != null;
      const bad = invalid(
        await checkTenant(deps, tenantId, "passwordless"),
        byCode === (linkCode != null) ? { id: "linkCode", error: "give either deviceId with userInputCode, or linkCode" } : null,
      );
      if (bad) return bad;
      if ([preAuthSessionId, deviceId, userInputCode, linkCode].some((value) => (value?.length ?? 0) > MAX_TOKEN_LENGTH)) {
        return { status: "RESTART_FLOW_ERROR" };
      }
      const proof = byCode
        ? { tenantId, preAuthSessionId, deviceId: deviceId!, userInputCode: userInputCode!, meta: ctx.meta }
        : { tenantId, preAuthSessionId, linkCode: linkCode!, meta: ctx.meta };
      if (linking) {
        // The code proves the address; the device says which account and session asked for it.
        const spent = await functions.spendCode(proof);
        if (spent.status !== "OK") return spent;
        const linkTo = spent.options.linkTo;
        if (linkTo?.userId !== linking.user.id || linkTo.sessionId !== linking.sessionId) return { status: "RESTART_FLOW_ERROR" };
        const address = spent.email ? { email: spent.email } : { phoneNumber: spent.phoneNumber! };
        const added = await deps.accounts.addProvenAddress(linking.user, address, ctx.meta);
        if (typeof added === "string") return (await linkRefusal(linking.user, address, tenantId, added))!;
        return { status: "OK", createdNewRecipeUser: false, user: added, session: null };
      }
      // Wrong codes count against the account like wrong passwords do (one counter per account).
      const device = await functions.listCodesByPreAuthSessionId({ preAuthSessionId, tenantId });
      if (!device) return { status: "RESTART_FLOW_ERROR" };
      const attemptKey = accountAttemptKey(tenantId, (device.email ?? device.phoneNumber)!);
      const verdict = await deps.limiter.begin(attemptKey);
      if (!verdict.allowed) return { status: "LIMIT_REACHED_ERROR", retryAfterMs: verdict.retryAfterMs };
      const consumed = await functions.consumeCode(proof);
      if (consumed.status !== "OK") return consumed;
      // Resets the account's counter too. A code by SMS is "sms" in the session's amr (RFC 8176).
      const signedIn = await completeSignIn(deps, consumed.user, ctx.meta, "passwordless", { amr: amrOf(device.email ? "passwordless" : "passwordlessSms") });
      if (signedIn.status === "MFA_REQUIRED" || signedIn.status === "MFA_ENROLMENT_REQUIRED") return signedIn;
      if (signedIn.status !== "OK") return { status: "SIGN_IN_UP_NOT_ALLOWED", reason: "This account is disabled" };
      return { status: "OK", createdNewRecipeUser: consumed.createdNewRecipeUser, user: signedIn.user, session: signedIn.session };
    },

    async phoneNumberExists({ phoneNumber, tenantId }) {
      const phone = normalisePhoneNumber(phoneNumber);
      if (!phone || (await checkTenant(deps, tenantId))) return false;
      return Boolean(await functions.getUserByPhoneNumber({ phoneNumber: phone, tenantId }));
    },
  };
}
