/**
 * What each WebAuthn GraphQL field does (Nhost's signUpWebauthn, signInWebauthn,
 * addSecurityKey and elevateWebauthn, each as an options step and a verify step),
 * as overridable functions of (input, context) returning status values.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { randomUUID } from "node:crypto";
import type { Context, Viewer } from "../../context.js";
import { accountHolder, elevationRequired, isElevated } from "../../context.js";
import type { Deps } from "../../deps.js";
import type { ApiResult, FieldError, SignInApiResult, TenantInput } from "../../results.js";
import { completeSignIn, type SessionWithUser } from "../../sessions/sign-in.js";
import { finishSignIn, pendingSignIn, pendingUser } from "../../mfa/sign-in.js";
import { createSecondFactorLimiter } from "../../mfa/limiter.js";
import { sha256 } from "../../crypto/tokens.js";
import { amrOf } from "../../sessions/assurance.js";
import { checkTenant, emailVerificationOf } from "../../tenants/check.js";
import { parseSignUpOptions, profileColumns, type NewUserProfile, type SignUpOptionsInput } from "../../accounts/sign-up-options.js";
import { normaliseEmail, type UserRow } from "../../accounts/users.js";
import { checkEmail, invalid, isText } from "../../validation.js";
import { createTicketMail } from "../emailpassword/ticket-mail.js";
import type { EmailPasswordFunctions } from "../emailpassword/service.js";
import { ALREADY_REGISTERED, RECIPE_ID, decoyCredentials, type StoredCredential, type WebauthnFunctions } from "./service.js";

export interface WebauthnOptions {
  /** Turns passkey sign-up off (existing users may still add keys). */
  signUpDisabled?: boolean;
}

type Options = { options: object };

export interface WebauthnApis {
  webauthnSignUpOptions(input: TenantInput & { email: string; options?: SignUpOptionsInput | null }, ctx: Context): ApiResult<Options>;
  webauthnSignUp(
    input: TenantInput & { credential: unknown; nickname?: string | null },
    ctx: Context,
  ): SignInApiResult<{ user: UserRow; session: SessionWithUser | null }>;
  webauthnSignInOptions(input: TenantInput & { email?: string | null }, ctx: Context): ApiResult<Options>;
  webauthnSignIn(input: TenantInput & { credential: unknown }, ctx: Context): SignInApiResult<{ user: UserRow; session: SessionWithUser }>;
  addSecurityKeyOptions(input: object, ctx: Context): ApiResult<Options>;
  addSecurityKey(input: { credential: unknown; nickname?: string | null }, ctx: Context): ApiResult<{ id: string; nickname: string }>;
  securityKeys(input: object, ctx: Context): Promise<StoredCredential[] | null>;
  removeSecurityKey(input: { id: string }, ctx: Context): ApiResult<{ didExist: boolean }>;
  elevateWebauthnOptions(input: object, ctx: Context): ApiResult<Options>;
  elevateWebauthn(input: { credential: unknown }, ctx: Context): ApiResult<{ session: SessionWithUser }>;
  /** A passkey or security key as the second factor of a sign-in that answered MfaRequired: options, then the assertion. */
  verifySignInMfaWebauthnOptions(input: { ticket: string }, ctx: Context): ApiResult<Options>;
  verifySignInMfaWebauthn(input: { ticket: string; credential: unknown }, ctx: Context): ApiResult<{ user: UserRow; session: SessionWithUser }>;
}

const MAX_NICKNAME = 100;
const MAX_CREDENTIAL_BYTES = 64 * 1024;
const DEFAULT_NICKNAME = "Passkey";

/** The shape a browser's PublicKeyCredential JSON must have before any cryptography is tried. */
function checkCredential<T>(value: unknown, fields: string[]): { credential: T } | { error: FieldError } {
  const error = (message: string) => ({ error: { id: "credential", error: message } });
  if (typeof value !== "object" || value === null || Array.isArray(value)) return error("must be the JSON of a PublicKeyCredential");
  if (JSON.stringify(value).length > MAX_CREDENTIAL_BYTES) return error(`must be at most ${MAX_CREDENTIAL_BYTES} bytes`);
  const credential = value as { id?: unknown; rawId?: unknown; type?: unknown; response?: Record<string, unknown> };
  if (typeof credential.id !== "string" || !/^[A-Za-z0-9_-]{1,1366}$/.test(credential.id)) return error("id must be a base64url string");
  if (credential.type !== "public-key") return error('type must be "public-key"');
  if (typeof credential.response !== "object" || credential.response === null) return error("response is missing");
  for (const field of ["clientDataJSON", ...fields]) {
    if (typeof credential.response[field] !== "string") return error(`response.${field} must be a base64url string`);
  }
  return { credential: { rawId: credential.id, clientExtensionResults: {}, ...credential } as T };
}

const checkNickname = (nickname: string | null | undefined): FieldError | null =>
  nickname != null && (nickname.length > MAX_NICKNAME || !isText(nickname))
    ? { id: "nickname", error: `must be text of at most ${MAX_NICKNAME} characters` }
    : null;

export function createWebauthnApis(
  deps: Deps,
  functions: WebauthnFunctions,
  emailpassword: EmailPasswordFunctions,
  options: WebauthnOptions = {},
): WebauthnApis {
  const { config } = deps;
  const { sendVerification } = createTicketMail(deps, emailpassword);

  const limiter = createSecondFactorLimiter(deps); // keyed by user id

  /** The signed-in user, when they may manage keys (elevated, and a real account when adding). */
  async function keyOwner(
    ctx: Context,
    { adding }: { adding: boolean },
  ): Promise<Viewer | { status: "UNAUTHORISED" | "FORBIDDEN_ANONYMOUS" | "ELEVATION_REQUIRED" }> {
    const viewer = adding ? await accountHolder(ctx) : ((await ctx.viewer()) ?? { status: "UNAUTHORISED" as const });
    if ("status" in viewer) return viewer;
    return isElevated(deps, viewer) ? viewer : await elevationRequired(deps, viewer);
  }

  /** The webauthn login method follows the account's address and whether it is proven. */
  const ensureLoginMethod = (user: UserRow) => deps.accounts.addLoginMethod(user, { recipeId: RECIPE_ID, email: user.email, verified: user.emailVerified });

  return {
    async webauthnSignUpOptions({ email, options: signUpOptions, tenantId }, ctx) {
      const { profile, redirectTo, errors } = parseSignUpOptions(config, signUpOptions);
      const bad = invalid(await checkTenant(deps, tenantId, "webauthn"), checkEmail("email", email), ...errors);
      if (bad) return bad;
      // Each answer stores a challenge: limited per client IP.
      const limited = await deps.sendLimits.passkeySignUp(ctx.meta.ip);
      if (limited) return limited;
      if (options.signUpDisabled) return { status: "SIGN_UP_NOT_ALLOWED", reason: "Sign-up is disabled" };
      const normalised = normaliseEmail(email);
      if (await deps.accounts.byEmail(tenantId, normalised)) return { status: "EMAIL_ALREADY_EXISTS_ERROR" };
      // The new user's id is fixed now: it is the user handle the passkey will carry.
      const user = { id: randomUUID(), name: normalised, displayName: profile.displayName || normalised };
      const created = await functions.registrationOptions({ tenantId, flow: "signUp", user, email: normalised, data: { profile, redirectTo } });
      return { status: "OK", options: created };
    },

    async webauthnSignUp({ credential: input, nickname, tenantId }, ctx) {
      const parsed = checkCredential<RegistrationResponseJSON>(input, ["attestationObject"]);
      const bad = invalid(await checkTenant(deps, tenantId, "webauthn"), "error" in parsed ? parsed.error : null, checkNickname(nickname));
      if (bad || "error" in parsed) return bad!;
      const challenge = await functions.consumeChallenge({ response: parsed.credential, flows: ["signUp"], tenantId });
      if (!challenge?.userId || !challenge.email) return { status: "INVALID_CHALLENGE_ERROR" };
      const verified = await functions.verifyRegistration({ response: parsed.credential, challenge });
      if (verified.status !== "OK") return verified;
      if (await functions.isRegistered({ credentialId: verified.credential.credentialId })) {
        return { status: "INVALID_CREDENTIAL_ERROR", message: ALREADY_REGISTERED };
      }
      const { profile, redirectTo } = challenge.data as unknown as { profile: NewUserProfile; redirectTo: string | null };
      // The user, its login method and its key in one transaction: never a user without its key.
      const created = await deps.accounts.signUp(
        {
          id: challenge.userId,
          tenantId,
          email: challenge.email,
          profile: profileColumns(config, profile),
          loginMethod: { recipeId: RECIPE_ID, email: challenge.email, verified: false },
          webauthnCredential: { ...verified.credential, nickname: nickname ?? DEFAULT_NICKNAME },
        },
        ctx.meta,
      );
      if (created.status !== "OK") {
        // A parallel sign-up took the address or registered the same key first.
        const keyTaken = await functions.isRegistered({ credentialId: verified.credential.credentialId });
        return keyTaken ? { status: "INVALID_CREDENTIAL_ERROR", message: ALREADY_REGISTERED } : created;
      }
      const { user } = created;
      const verification = await emailVerificationOf(deps, tenantId);
      if (verification !== "off") await sendVerification(user, user.email!, redirectTo);
      if (verification === "required") return { status: "OK", user, session: null };
      // Where MFA is required, a new user enrols a second factor before the first session.
      const signedIn = await completeSignIn(deps, user, ctx.meta, RECIPE_ID);
      return signedIn.status === "OK" ? { status: "OK", user, session: signedIn.session } : signedIn;
    },

    async webauthnSignInOptions({ email, tenantId }) {
      const bad = invalid(await checkTenant(deps, tenantId, "webauthn"), email == null ? null : checkEmail("email", email));
      if (bad) return bad;
      if (email == null) {
        // Discoverable passkeys: the authenticator offers the accounts it holds for this site.
        return { status: "OK", options: await functions.authenticationOptions({ tenantId, flow: "signIn", credentials: [] }) };
      }
      const normalised = normaliseEmail(email);
      const user = await deps.accounts.byEmail(tenantId, normalised);
      const credentials = user ? await functions.listCredentials({ userId: user.id }) : [];
      const offered = credentials.length > 0 ? credentials : decoyCredentials(deps, tenantId, normalised);
      const created = await functions.authenticationOptions({
        tenantId,
        flow: "signIn",
        userId: credentials.length > 0 ? user!.id : null,
        email: normalised,
        credentials: offered,
      });
      return { status: "OK", options: created };
    },

    async webauthnSignIn({ credential: input, tenantId }, ctx) {
      const parsed = checkCredential<AuthenticationResponseJSON>(input, ["authenticatorData", "signature"]);
      const bad = invalid(await checkTenant(deps, tenantId, "webauthn"), "error" in parsed ? parsed.error : null);
      if (bad || "error" in parsed) return bad!;
      const challenge = await functions.consumeChallenge({ response: parsed.credential, flows: ["signIn"], tenantId });
      if (!challenge) return { status: "INVALID_CHALLENGE_ERROR" };
      const verified = await functions.verifyAuthentication({ response: parsed.credential, challenge });
      if (verified.status !== "OK") return verified;
      const user = await deps.accounts.byId(verified.credential.userId, tenantId);
      if (!user) return { status: "UNKNOWN_CREDENTIAL_ERROR" };
      if (user.disabled) return { status: "USER_DISABLED_ERROR" };
      if (user.email && !user.emailVerified && (await emailVerificationOf(deps, tenantId)) === "required") return { status: "EMAIL_NOT_VERIFIED_ERROR" };
      // A passkey that verified its user (PIN, biometrics) is two factors in one.
      return completeSignIn(deps, user, ctx.meta, RECIPE_ID, {
        secondFactorPassed: verified.userVerified,
        amr: amrOf(RECIPE_ID, { userVerified: verified.userVerified }),
      });
    },

    async addSecurityKeyOptions(_, ctx) {
      const owner = await keyOwner(ctx, { adding: true });
      if ("status" in owner) return owner;
      const { user } = owner;
      const name = user.email ?? user.phoneNumber ?? user.id;
      const created = await functions.registrationOptions({
        tenantId: user.tenantId,
        flow: "addKey",
        user: { id: user.id, name, displayName: user.displayName || name },
      });
      return { status: "OK", options: created };
    },

    async addSecurityKey({ credential: input, nickname }, ctx) {
      const parsed = checkCredential<RegistrationResponseJSON>(input, ["attestationObject"]);
      const bad = invalid("error" in parsed ? parsed.error : null, checkNickname(nickname));
      if (bad || "error" in parsed) return bad!;
      const owner = await keyOwner(ctx, { adding: true });
      if ("status" in owner) return owner;
      const { user } = owner;
      const challenge = await functions.consumeChallenge({ response: parsed.credential, flows: ["addKey"], tenantId: user.tenantId });
      if (!challenge || challenge.userId !== user.id) return { status: "INVALID_CHALLENGE_ERROR" };
      const verified = await functions.verifyRegistration({ response: parsed.credential, challenge });
      if (verified.status !== "OK") return verified;
      const added = await functions.addCredential({
        userId: user.id,
        tenantId: user.tenantId,
        credential: verified.credential,
        nickname: nickname ?? DEFAULT_NICKNAME,
      });
      if (added.status !== "OK") return added;
      await ensureLoginMethod(user);
      await deps.audit.recordFor(ctx.meta, "security_key.added", user, { securityKeyId: added.credential.id });
      return { status: "OK", id: added.credential.id, nickname: added.credential.nickname };
    },

    async securityKeys(_, ctx) {
      const viewer = await ctx.viewer();
      return viewer ? functions.listCredentials({ userId: viewer.user.id }) : null;
    },

    async removeSecurityKey({ id }, ctx) {
      const owner = await keyOwner(ctx, { adding: false });
      if ("status" in owner) return owner;
      const { user } = owner;
      const removed = await functions.removeCredential({ userId: user.id, id });
      if (removed.didExist) {
        await deps.accounts.removeLoginMethod(user, RECIPE_ID);
        await deps.audit.recordFor(ctx.meta, "security_key.removed", user, { securityKeyId: id });
      }
      return removed;
    },

    async elevateWebauthnOptions(_, ctx) {
      const viewer = await ctx.viewer();
      if (!viewer) return { status: "UNAUTHORISED" };
      if (viewer.kind !== "interactive") return elevationRequired(deps, viewer);
      // Step-up proves a key the account already had: one this session added itself never elevates it.
      const credentials = (await functions.listCredentials({ userId: viewer.user.id })).filter((key) => key.createdAt <= viewer.openedAt);
      if (credentials.length === 0)
        return { status: "UNKNOWN_CREDENTIAL_ERROR", message: "This user has no passkeys or security keys older than this session" };
      const created = await functions.authenticationOptions({
        tenantId: viewer.user.tenantId,
        flow: "elevate",
        userId: viewer.user.id,
        credentials,
        data: { sessionId: viewer.sessionId },
      });
      return { status: "OK", options: created };
    },

    async elevateWebauthn({ credential: input }, ctx) {
      const parsed = checkCredential<AuthenticationResponseJSON>(input, ["authenticatorData", "signature"]);
      if ("error" in parsed) return invalid(parsed.error)!;
      const viewer = await ctx.viewer();
      if (!viewer) return { status: "UNAUTHORISED" };
      if (viewer.kind !== "interactive") return elevationRequired(deps, viewer);
      const { user } = viewer;
      const challenge = await functions.consumeChallenge({ response: parsed.credential, flows: ["elevate"], tenantId: user.tenantId });
      if (!challenge || challenge.userId !== user.id || (challenge.data as { sessionId?: string }).sessionId !== viewer.sessionId) {
        return { status: "INVALID_CHALLENGE_ERROR" };
      }
      const verified = await functions.verifyAuthentication({ response: parsed.credential, challenge });
      if (verified.status !== "OK") return verified;
      if (verified.credential.createdAt > viewer.openedAt) return { status: "UNKNOWN_CREDENTIAL_ERROR", message: "A key this session added cannot elevate it" };
      // The proof opens a fresh session (authenticated now) that replaces the one that asked, as Nhost's elevate does.
      const session = await deps.sessions.create(user, ctx.meta, "webauthnElevate");
      await deps.sessions.revoke(viewer.sessionId, "elevated", user.id);
      return { status: "OK", session: { ...session, user } };
    },

    async verifySignInMfaWebauthnOptions({ ticket }) {
      const pending = await pendingSignIn(deps, ticket);
      const user = pending && (await pendingUser(deps, pending));
      if (!pending || !user) return { status: "INVALID_TICKET_ERROR" };
      const credentials = await functions.listCredentials({ userId: user.id });
      if (credentials.length === 0) return { status: "UNKNOWN_CREDENTIAL_ERROR", message: "This user has no passkeys or security keys" };
      // The challenge belongs to this ticket: an assertion made for another sign-in does not finish this one.
      const created = await functions.authenticationOptions({
        tenantId: user.tenantId,
        flow: "mfa",
        userId: user.id,
        credentials,
        data: { ticket: sha256(ticket) },
      });
      return { status: "OK", options: created };
    },

    async verifySignInMfaWebauthn({ ticket, credential: input }, ctx) {
      const parsed = checkCredential<AuthenticationResponseJSON>(input, ["authenticatorData", "signature"]);
      if ("error" in parsed) return invalid(parsed.error)!;
      const pending = await pendingSignIn(deps, ticket);
      if (!pending) return { status: "INVALID_TICKET_ERROR" };
      const verdict = await limiter.begin(pending.userId);
      if (!verdict.allowed) return { status: "LIMIT_REACHED_ERROR", retryAfterMs: verdict.retryAfterMs };
      const challenge = await functions.consumeChallenge({ response: parsed.credential, flows: ["mfa"], tenantId: pending.tenantId });
      if (!challenge || challenge.userId !== pending.userId || (challenge.data as { ticket?: string }).ticket !== sha256(ticket)) {
        return { status: "INVALID_CHALLENGE_ERROR" };
      }
      const verified = await functions.verifyAuthentication({ response: parsed.credential, challenge });
      if (verified.status !== "OK") return verified;
      if (verified.credential.userId !== pending.userId) return { status: "UNKNOWN_CREDENTIAL_ERROR" };
      await limiter.succeed(pending.userId);
      return finishSignIn(deps, ticket, pending, ctx.meta, "webauthn");
    },
  };
}
