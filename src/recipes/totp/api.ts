/** What each TOTP GraphQL field does, as overridable functions returning status values. */
import type { Context } from "../../context.js";
import { accountHolder, elevationRequired, isElevated } from "../../context.js";
import type { Deps } from "../../deps.js";
import type { ApiResult } from "../../results.js";
import { isText, invalid } from "../../validation.js";
import type { TotpDeviceInfo, TotpFunctions } from "./service.js";
import { createSecondFactorLimiter } from "../../mfa/limiter.js";
import { finishSignIn, pendingSignIn, pendingUser, type PendingSignIn } from "../../mfa/sign-in.js";
import { amrOf } from "../../sessions/assurance.js";
import { createRecoveryCodes } from "./recovery-codes.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import type { UserRow } from "../../accounts/users.js";

/** Enrolling before the first session (MfaEnrolmentRequired): the ticket stands in for the session. */
type Enrolment = { ticket?: string | null };

export interface TotpApis {
  createTotpDevice(input: { deviceName?: string | null } & Enrolment, ctx: Context): ApiResult<{ deviceName: string; qrCodeString: string; secret: string }>;
  totpDevices(input: object, ctx: Context): Promise<TotpDeviceInfo[] | null>;
  removeTotpDevice(input: { deviceName: string }, ctx: Context): ApiResult<{ didDeviceExist: boolean }>;
  verifyTotpDevice(
    input: { deviceName: string; totp: string } & Enrolment,
    ctx: Context,
  ): ApiResult<{ wasAlreadyVerified: boolean; session: SessionWithUser | null }>;
  verifyTotp(input: { totp: string }, ctx: Context): ApiResult<object>;
  verifySignInMfaTotp(input: { ticket: string; totp: string }, ctx: Context): ApiResult<{ user: UserRow; session: SessionWithUser }>;
  generateRecoveryCodes(input: object, ctx: Context): ApiResult<{ codes: string[] }>;
  verifySignInMfaRecoveryCode(input: { ticket: string; code: string }, ctx: Context): ApiResult<{ user: UserRow; session: SessionWithUser }>;
  /** The signed-in user's unspent recovery codes (null for anyone else). */
  recoveryCodesRemaining(input: { userId: string }, ctx: Context): Promise<number | null>;
}

const MAX_DEVICE_NAME = 100;

export function createTotpApis(deps: Deps, functions: TotpFunctions): TotpApis {
  const recoveryCodes = createRecoveryCodes(deps);
  const limiter = createSecondFactorLimiter(deps); // keyed by user id

  const checkName = (name: string | null | undefined) =>
    name != null && (name.length > MAX_DEVICE_NAME || !isText(name))
      ? { id: "deviceName", error: `must be text of at most ${MAX_DEVICE_NAME} characters` }
      : null;

  /**
   * Who enrols a device: the holder of an enrolment ticket (before their first
   * session), or an elevated session (enrolling a factor is credential
   * management: a stale or stolen session must prove itself first).
   */
  async function enrolling(
    ticket: string | null | undefined,
    ctx: Context,
  ): Promise<
    | { user: UserRow; pending: PendingSignIn | null }
    | { status: "INVALID_TICKET_ERROR" | "UNAUTHORISED" | "FORBIDDEN_ANONYMOUS" }
    | Awaited<ReturnType<typeof elevationRequired>>
  > {
    if (ticket != null) {
      const pending = await pendingSignIn(deps, ticket, ["mfaEnrol"]);
      const user = pending && (await pendingUser(deps, pending));
      return pending && user ? { user, pending } : { status: "INVALID_TICKET_ERROR" };
    }
    const viewer = await accountHolder(ctx);
    if ("status" in viewer) return viewer;
    if (!isElevated(deps, viewer)) return elevationRequired(deps, viewer);
    return { user: viewer.user, pending: null };
  }

  return {
    async createTotpDevice({ deviceName, ticket }, ctx) {
      const bad = invalid(checkName(deviceName));
      if (bad) return bad;
      const owner = await enrolling(ticket, ctx);
      if ("status" in owner) return owner;
      const { user } = owner;
      return functions.createDevice({ userId: user.id, userIdentifierInfo: user.email ?? user.phoneNumber, deviceName });
    },

    async totpDevices(_, ctx) {
      const viewer = await ctx.viewer();
      if (!viewer) return null;
      return (await functions.listDevices({ userId: viewer.user.id })).devices;
    },

    async removeTotpDevice({ deviceName }, ctx) {
      const viewer = await ctx.viewer();
      if (!viewer) return { status: "UNAUTHORISED" };
      if (!isElevated(deps, viewer)) return elevationRequired(deps, viewer);
      const removed = await functions.removeDevice({ userId: viewer.user.id, deviceName });
      if (removed.status === "OK" && removed.didDeviceExist) await deps.audit.recordFor(ctx.meta, "totp.device_removed", viewer.user, { deviceName });
      return removed;
    },

    async verifyTotpDevice({ deviceName, totp, ticket }, ctx) {
      const owner = await enrolling(ticket, ctx);
      if ("status" in owner) return owner;
      const { user, pending } = owner;
      const verified = await functions.verifyDevice({ userId: user.id, deviceName, totp });
      if (verified.status !== "OK") return verified;
      if (!verified.wasAlreadyVerified) await deps.audit.recordFor(ctx.meta, "totp.device_added", user, { deviceName });
      if (!pending) return { ...verified, session: null };
      // The device just proved itself: the sign-in that waited for it is complete.
      const finished = await finishSignIn(deps, ticket!, pending, ctx.meta, "totp");
      return finished.status === "OK" ? { ...verified, session: finished.session } : finished;
    },

    async verifyTotp({ totp }, ctx) {
      const viewer = await ctx.viewer();
      if (!viewer) return { status: "UNAUTHORISED" };
      if (viewer.kind !== "interactive") return elevationRequired(deps, viewer);
      // Step-up proves a factor the account already had: a device this session enrolled itself never elevates it.
      const verified = await functions.verifyTOTP({ userId: viewer.user.id, totp, enrolledBefore: viewer.openedAt });
      if (verified.status === "UNKNOWN_USER_ID_ERROR") return { ...verified, message: "No TOTP device that this session did not enrol itself" };
      if (verified.status === "OK") await deps.sessions.markAuthenticated(viewer.sessionId, amrOf("totp", { secondFactor: true }));
      return verified;
    },

    async verifySignInMfaTotp({ ticket, totp }, ctx) {
      // The ticket survives wrong codes (the user types again) and is spent by the right one.
      const pending = await pendingSignIn(deps, ticket);
      if (!pending) return { status: "INVALID_TICKET_ERROR" };
      const verified = await functions.verifyTOTP({ userId: pending.userId, totp });
      if (verified.status === "UNKNOWN_USER_ID_ERROR") return { status: "INVALID_TICKET_ERROR" };
      if (verified.status !== "OK") return verified;
      return finishSignIn(deps, ticket, pending, ctx.meta, "totp");
    },

    async generateRecoveryCodes(_, ctx) {
      const viewer = await accountHolder(ctx);
      if ("status" in viewer) return viewer;
      if (!isElevated(deps, viewer)) return elevationRequired(deps, viewer);
      return { status: "OK", codes: await recoveryCodes.generate(viewer.user.id) };
    },

    async verifySignInMfaRecoveryCode({ ticket, code }, ctx) {
      const pending = await pendingSignIn(deps, ticket);
      if (!pending) return { status: "INVALID_TICKET_ERROR" };
      const verdict = await limiter.begin(pending.userId);
      if (!verdict.allowed) return { status: "LIMIT_REACHED_ERROR", retryAfterMs: verdict.retryAfterMs };
      if (!(await recoveryCodes.consume(pending.userId, code))) return { status: "INVALID_RECOVERY_CODE_ERROR" };
      await limiter.succeed(pending.userId);
      return finishSignIn(deps, ticket, pending, ctx.meta, "recoveryCode");
    },

    async recoveryCodesRemaining({ userId }, ctx) {
      return (await ctx.viewer({ cached: true }))?.user.id === userId ? recoveryCodes.remaining(userId) : null;
    },
  };
}
