/**
 * One-time codes to an address the account already has, as a second factor
 * ("emailCode", "smsCode": a sign-in that answered MfaRequired) and as a
 * step-up proof (a session proving it still reaches the verified address).
 *
 * They reuse the passwordless code store (hashed with the device id, single
 * use, attempts counted per device), with a device id derived from what the
 * flow already has: the MFA ticket, or the session. Wrong codes also count
 * against the user's second-factor limit and the account's sign-ins, as
 * every second factor's do (mfa/limiter.ts). Sending is limited like
 * passwordless sign-in codes (per address and per client IP).
 */
import type { Context } from "../../context.js";
import { accountHolder, elevationRequired, mayStepUpWith, stepUp } from "../../context.js";
import { hmacSha256, sha256 } from "../../crypto/tokens.js";
import type { Deps } from "../../deps.js";
import { createSecondFactorLimiter } from "../../mfa/limiter.js";
import type { Factor } from "../../mfa/registry.js";
import { finishSignIn, pendingSignIn, pendingUser } from "../../mfa/sign-in.js";
import type { ApiResult } from "../../results.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import type { UserRow } from "../../accounts/users.js";
import type { CreatedCode, PasswordlessFunctions } from "./service.js";

export type CodeFactor = "emailCode" | "smsCode";
const CODE_FACTORS: readonly CodeFactor[] = ["emailCode", "smsCode"];

export interface FactorCodeApis {
  /** Sends a code to the user's verified email or phone, for the sign-in MfaRequired's ticket stands for. */
  sendSignInMfaCode(input: { ticket: string; factor: string }, ctx: Context): ApiResult<{ factor: string; destination: string }>;
  verifySignInMfaCode(input: { ticket: string; code: string }, ctx: Context): ApiResult<{ user: UserRow; session: SessionWithUser }>;
  /** Step-up: a code to the signed-in user's verified email or phone (one the account had when the session opened). */
  sendElevationCode(input: { factor: string }, ctx: Context): ApiResult<{ factor: string; destination: string }>;
  elevateWithCode(input: { code: string }, ctx: Context): ApiResult<{ elevatedUntil: Date }>;
}

/** Where a code for `factor` goes: the account's verified address, or null. */
export function addressFor(user: UserRow, factor: CodeFactor): { email: string } | { phoneNumber: string } | null {
  if (factor === "emailCode") return user.email && user.emailVerified ? { email: user.email } : null;
  return user.phoneNumber && user.phoneNumberVerified ? { phoneNumber: user.phoneNumber } : null;
}

/** "a***@example.com", "+44*******123": enough for the user to recognise, not to learn the address. */
function masked(to: { email: string } | { phoneNumber: string }): string {
  if ("email" in to) {
    const [local = "", domain = ""] = to.email.split("@");
    return `${local.slice(0, 1)}***@${domain}`;
  }
  return `${to.phoneNumber.slice(0, 3)}${"*".repeat(Math.max(to.phoneNumber.length - 6, 0))}${to.phoneNumber.slice(-3)}`;
}

/** The registry entries (mfa/registry.ts) for codes to the account's addresses. */
export function codeFactors(apis: Partial<FactorCodeApis>): Factor[] {
  const secondFactor = Boolean(apis.sendSignInMfaCode && apis.verifySignInMfaCode);
  const stepUp = Boolean(apis.sendElevationCode && apis.elevateWithCode);
  return [
    {
      id: "emailCode",
      secondFactor,
      stepUp,
      address: true,
      // A code to the mailbox after a sign-in through the mailbox (a code, a link) is the same factor twice.
      sameChannelAs: (first) => ["passwordless", "emailVerify", "passwordReset"].includes(first.method) && !first.amr.includes("sms"),
      isSetUp: async (user, before) =>
        addressFor(user, "emailCode") !== null && (!before || (user.emailVerifiedAt ?? new Date(0)).getTime() <= before.getTime()),
    },
    {
      id: "smsCode",
      secondFactor,
      stepUp,
      address: true,
      sameChannelAs: (first) => first.amr.includes("sms"),
      isSetUp: async (user) => addressFor(user, "smsCode") !== null,
    },
  ];
}

export function createFactorCodeApis(
  deps: Deps,
  functions: PasswordlessFunctions,
  io: {
    /** Sends a code (no link) to the address, in `locale`; false when sending failed. */
    deliver(code: CreatedCode, to: { email?: string; phoneNumber?: string }, tenantId: string, locale: string): Promise<boolean>;
    /** The sending limits of passwordless codes. */
    limit(contact: string, tenantId: string, ip: string): Promise<{ status: "LIMIT_REACHED_ERROR"; retryAfterMs: number } | null>;
  },
): FactorCodeApis {
  const limiter = createSecondFactorLimiter(deps); // keyed by user id
  let key: Buffer | undefined;
  // The device is named by the flow: the ticket (only its holder knows it) or the session.
  const deviceOf = (purpose: "mfa" | "elevate", value: string) => hmacSha256((key ??= deps.encrypter.deriveKey("factor codes v1")), `${purpose}:${value}`);
  const isCodeFactor = (factor: string): factor is CodeFactor => (CODE_FACTORS as readonly string[]).includes(factor);
  const unknownFactor = { status: "INVALID_INPUT_ERROR", fieldErrors: [{ id: "factor", error: 'must be "emailCode" or "smsCode"' }] } as const;

  async function send(user: UserRow, factor: CodeFactor, deviceId: string, ip: string) {
    const to = addressFor(user, factor)!;
    const limited = await io.limit("email" in to ? to.email : to.phoneNumber, user.tenantId, ip);
    if (limited) return limited;
    const code = await functions.createFactorCode({ tenantId: user.tenantId, deviceId, ...to });
    if (code.status !== "OK") return code;
    if (!(await io.deliver(code, to, user.tenantId, user.locale)))
      return { status: "GENERAL_ERROR", message: "The code could not be sent; try again later" } as const;
    return { status: "OK", factor, destination: masked(to) } as const;
  }

  /** Checks a code for `user` on `deviceId`, counting a wrong one against the user's second factors. */
  async function check(user: UserRow, deviceId: string, code: string) {
    if (typeof code !== "string" || code.length > 64) return { status: "RESTART_FLOW_ERROR" } as const;
    const verdict = await limiter.begin(user.id);
    if (!verdict.allowed) return { status: "LIMIT_REACHED_ERROR", retryAfterMs: verdict.retryAfterMs } as const;
    const checked = await functions.checkFactorCode({ tenantId: user.tenantId, deviceId, userInputCode: code });
    if (checked.status !== "OK") return checked;
    // The address must still be the account's (it may have changed since the code was sent).
    const factor: CodeFactor = checked.email ? "emailCode" : "smsCode";
    const to = addressFor(user, factor);
    if (!to || ("email" in to ? to.email !== checked.email : to.phoneNumber !== checked.phoneNumber)) return { status: "RESTART_FLOW_ERROR" } as const;
    await limiter.succeed(user.id);
    return { status: "OK", factor } as const;
  }

  return {
    async sendSignInMfaCode({ ticket, factor }, ctx) {
      if (!isCodeFactor(factor)) return unknownFactor;
      const pending = await pendingSignIn(deps, ticket);
      const user = pending && (await pendingUser(deps, pending));
      if (!pending || !user) return { status: "INVALID_TICKET_ERROR" };
      // Only a factor this sign-in may be finished with (policy, the first factor's channel, an enrolled authenticator).
      const allowed = await deps.mfa.secondFactors(user, pending.first, (await deps.tenants.settings(user.tenantId)).mfaFactors);
      if (!allowed.includes(factor))
        return { status: "INVALID_INPUT_ERROR", fieldErrors: [{ id: "factor", error: `is not one of this sign-in's factors: ${allowed.join(", ")}` }] };
      return send(user, factor, deviceOf("mfa", sha256(ticket)), ctx.meta.ip);
    },

    async verifySignInMfaCode({ ticket, code }, ctx) {
      const pending = await pendingSignIn(deps, ticket);
      const user = pending && (await pendingUser(deps, pending));
      if (!pending || !user) return { status: "INVALID_TICKET_ERROR" };
      const checked = await check(user, deviceOf("mfa", sha256(ticket)), code);
      if (checked.status !== "OK") return checked;
      return finishSignIn(deps, ticket, pending, ctx.meta, checked.factor);
    },

    async sendElevationCode({ factor }, ctx) {
      if (!isCodeFactor(factor)) return unknownFactor;
      const viewer = await accountHolder(ctx);
      if ("status" in viewer) return viewer;
      if (!(await mayStepUpWith(deps, viewer, factor))) return elevationRequired(deps, viewer);
      return send(viewer.user, factor, deviceOf("elevate", viewer.sessionId), ctx.meta.ip);
    },

    async elevateWithCode({ code }, ctx) {
      const viewer = await accountHolder(ctx);
      if ("status" in viewer) return viewer;
      if (viewer.kind !== "interactive") return elevationRequired(deps, viewer);
      const checked = await check(viewer.user, deviceOf("elevate", viewer.sessionId), code);
      if (checked.status !== "OK") return checked;
      // The address may have stopped being a step-up proof since the code was sent (MFA turned on).
      if (!(await mayStepUpWith(deps, viewer, checked.factor))) return elevationRequired(deps, viewer);
      return stepUp(deps, viewer, checked.factor, ctx.meta);
    },
  };
}
