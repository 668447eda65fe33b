/**
 * What each third-party GraphQL field (and the redirect routes) does, as
 * overridable functions of (input, context) returning status values.
 */
import type { Config } from "../../config.js";
import type { Context } from "../../context.js";
import { accountHolder, elevationRequired, isElevated } from "../../context.js";
import type { Deps } from "../../deps.js";
import type { ApiResult, SignInApiResult, TenantInput } from "../../results.js";
import { completeSignIn, type SessionWithUser } from "../../sessions/sign-in.js";
import { allowsFactor, checkTenant, emailVerificationOf } from "../../tenants/check.js";
import { parseSignUpOptions, type NewUserProfile, type SignUpOptionsInput } from "../../accounts/sign-up-options.js";
import type { UserRow } from "../../accounts/users.js";
import { checkRedirect, invalid } from "../../validation.js";
import { createTicketMail } from "../emailpassword/ticket-mail.js";
import type { EmailPasswordFunctions } from "../emailpassword/service.js";
import type { ProviderProfile } from "./providers.js";
import { RECIPE_ID, type ProviderSession, type ThirdPartyFunctions } from "./service.js";
import { bindingCookie, bindingOf, queueCookie } from "../../sessions/cookies.js";
import { randomToken, sha256 } from "../../crypto/tokens.js";

export interface ThirdPartyOptions {
  /** Turns sign-up through providers off: only identities already known (or linkable) sign in. */
  signUpDisabled?: boolean;
}

/** session: null when the flow connected the provider to the signed-in user (their session goes on). */
type SignedIn = { createdNewUser: boolean; user: UserRow; session: SessionWithUser | null; providerSession: ProviderSession | null };

export interface ThirdPartyApis {
  thirdPartyProviders(input: TenantInput, ctx: Context): Promise<Array<{ id: string; name: string }>>;
  /**
   * Starts an authorization. The redirect flow (GET /signin/provider/:id) passes this server's callback as
   * `redirectURI`, the page to land on as `redirectTo`, and the new user's profile as `options`.
   */
  thirdPartyAuthorisationUrl(
    input: TenantInput & {
      providerId: string;
      redirectURI: string;
      redirectTo?: string | null;
      options?: SignUpOptionsInput | null;
      /** Bind the state to this browser with a cookie (the redirect flow always; GraphQL in cookie mode). */
      bindBrowser?: boolean;
      /**
       * Nhost's `connect`: the flow adds the provider identity to the signed-in user
       * (an elevated session) instead of signing in; thirdPartySignInUp with the same
       * session finishes it.
       */
      connect?: boolean | null;
    },
    ctx: Context,
  ): ApiResult<{ url: string; state: string }>;
  thirdPartySignInUp(
    input: TenantInput & { providerId: string; redirectURI: string; code: string; state: string; iss?: string | null; options?: SignUpOptionsInput | null },
    ctx: Context,
  ): SignInApiResult<SignedIn>;
  /** The redirect flow's callback (GET or POST /signin/provider/:id/callback): the same checks, with the redirect URI the route gave. */
  thirdPartyCallback(
    input: { providerId: string; callback: URLSearchParams },
    ctx: Context,
  ): Promise<Awaited<SignInApiResult<SignedIn>> & { redirectTo?: string }>;
  signInIdToken(
    input: TenantInput & { providerId: string; idToken: string; nonce?: string | null; options?: SignUpOptionsInput | null },
    ctx: Context,
  ): SignInApiResult<{ createdNewUser: boolean; user: UserRow; session: SessionWithUser }>;
  linkIdToken(input: { providerId: string; idToken: string; nonce?: string | null }, ctx: Context): ApiResult<{ wasAlreadyLinked: boolean }>;
  refreshProviderToken(input: { providerId: string; refreshToken?: string | null }, ctx: Context): ApiResult<{ providerSession: ProviderSession }>;
  /** Elevated: removes one of the signed-in user's provider identities, never their last way to sign in. */
  unlinkIdentity(input: { providerId: string; providerUserId: string }, ctx: Context): ApiResult<object>;
  /** The signed-in user's provider identities. */
  linkedIdentities(input: object, ctx: Context): Promise<LinkedIdentity[] | null>;
}

export interface LinkedIdentity {
  providerId: string;
  providerUserId: string;
  email: string | null;
  verified: boolean;
  createdAt: Date;
}

const MAX_TOKEN = 16 * 1024;

/** The redirect flow's redirect URI: this server's callback route for the provider (GET /signin/provider/:id/callback). */
export const providerCallbackUrl = (config: Pick<Config, "publicUrl">, providerId: string) =>
  `${config.publicUrl}/signin/provider/${encodeURIComponent(providerId)}/callback`;
const unknownProvider = { status: "INVALID_INPUT_ERROR", fieldErrors: [{ id: "providerId", error: "is not a provider of this tenant" }] } as const;

export function createThirdPartyApis(
  deps: Deps,
  functions: ThirdPartyFunctions,
  emailpassword: EmailPasswordFunctions,
  options: ThirdPartyOptions = {},
): ThirdPartyApis {
  const { config } = deps;
  const { sendVerification } = createTicketMail(deps, emailpassword);
  const known = async (tenantId: string, providerId: string) => (await functions.providers({ tenantId })).some((provider) => provider.id === providerId);

  /** From a profile the provider vouched for to a session (or the next step). */
  async function finish(
    tenantId: string,
    providerId: string,
    profile: ProviderProfile,
    newUser: NewUserProfile | undefined,
    ctx: Context,
    redirectTo: string | null,
  ) {
    if (options.signUpDisabled && !(await identityOrEmailKnown(tenantId, providerId, profile))) {
      return { status: "SIGN_IN_UP_NOT_ALLOWED", reason: "Sign-up is disabled" } as const;
    }
    const result = await functions.signInUp({ tenantId, providerId, profile, newUser, meta: ctx.meta });
    if (result.status !== "OK") return result;
    const { user, createdNewUser } = result;
    if (!user.emailVerified && (await emailVerificationOf(deps, tenantId)) === "required") {
      if (createdNewUser) await sendVerification(user, user.email!, redirectTo);
      return { status: "EMAIL_NOT_VERIFIED_ERROR" } as const;
    }
    const signedIn = await completeSignIn(deps, user, ctx.meta, RECIPE_ID);
    return signedIn.status === "OK" ? { ...signedIn, createdNewUser } : signedIn;
  }

  async function identityOrEmailKnown(tenantId: string, providerId: string, profile: ProviderProfile): Promise<boolean> {
    if (await deps.accounts.identityOwner(tenantId, providerId, profile.id)) return true;
    return Boolean(profile.email && (await deps.accounts.byEmail(tenantId, profile.email)));
  }

  /** Signs in from a code exchange, keeping and returning the provider's tokens when the provider is set to. */
  async function fromExchange(
    exchanged: Extract<Awaited<ReturnType<ThirdPartyFunctions["exchangeAuthCode"]>>, { status: "OK" }>,
    input: TenantInput & { providerId: string },
    newUser: NewUserProfile | undefined,
    ctx: Context,
  ) {
    const redirectTo = typeof exchanged.data.redirectTo === "string" ? exchanged.data.redirectTo : null;
    const profile = (exchanged.data.profile as NewUserProfile | undefined) ?? newUser;
    const done = await finish(input.tenantId, input.providerId, exchanged.profile, profile, ctx, redirectTo);
    if (done.status !== "OK") return { ...done, ...(redirectTo ? { redirectTo } : {}) };
    const providerSession = await keepTokens(exchanged, done.user.id, input.providerId);
    return { ...done, providerSession, ...(redirectTo ? { redirectTo } : {}) };
  }

  /** The provider's tokens, kept for the user when the provider is set to store them (else null). */
  async function keepTokens(
    exchanged: Extract<Awaited<ReturnType<ThirdPartyFunctions["exchangeAuthCode"]>>, { status: "OK" }>,
    userId: string,
    providerId: string,
  ): Promise<ProviderSession | null> {
    if (!exchanged.provider.storeTokens) return null;
    await functions.storeTokens({ userId, providerId, tokens: exchanged.tokens });
    return exchanged.tokens;
  }

  /** The browser binding the callback brings (the cookie is spent with the state). */
  function spendBinding(ctx: Context): string | null {
    const binding = bindingOf(config, ctx.request);
    if (binding) queueCookie(ctx.request, bindingCookie(config, null));
    return binding;
  }

  return {
    async thirdPartyProviders({ tenantId }) {
      if (!(await allowsFactor(deps, tenantId, "thirdparty"))) return [];
      return (await functions.providers({ tenantId })).map(({ id, name }) => ({ id, name }));
    },

    async thirdPartyAuthorisationUrl({ providerId, redirectURI, tenantId, redirectTo, options: signUpOptions, bindBrowser, connect }, ctx) {
      let connectTo: { userId: string; sessionId: string } | null = null;
      if (connect) {
        const viewer = await accountHolder(ctx);
        if ("status" in viewer) return viewer;
        if (!isElevated(deps, viewer)) return elevationRequired(deps, viewer);
        if (viewer.user.tenantId !== tenantId) return invalid({ id: "tenantId", error: "must be the signed-in user's tenant" })!;
        connectTo = { userId: viewer.user.id, sessionId: viewer.sessionId };
      }
      // This server's own callback is always a valid redirect URI for the provider.
      const ownCallback = redirectURI === providerCallbackUrl(config, providerId);
      const { profile, errors } = parseSignUpOptions(config, signUpOptions);
      const bad = invalid(
        await checkTenant(deps, tenantId, "thirdparty"),
        ownCallback ? null : checkRedirect(config, "redirectURI", redirectURI),
        checkRedirect(config, "redirectTo", redirectTo),
        ...errors,
      );
      if (bad) return bad;
      const binding = (bindBrowser ?? config.sessionCookies) ? randomToken() : null;
      const data = {
        ...(redirectTo ? { redirectTo } : {}),
        ...(signUpOptions ? { profile } : {}),
        ...(binding ? { browser: sha256(binding) } : {}),
        ...(connectTo ? { connect: connectTo } : {}),
      };
      const created = await functions.getAuthorisationUrl({ tenantId, providerId, redirectURI, data });
      if (created.status !== "OK") return unknownProvider;
      if (binding) queueCookie(ctx.request, bindingCookie(config, binding));
      return created;
    },

    async thirdPartySignInUp({ providerId, redirectURI, code, state, iss, options: signUpOptions, tenantId }, ctx) {
      const { profile, errors } = parseSignUpOptions(config, signUpOptions);
      const bad = invalid(await checkTenant(deps, tenantId, "thirdparty"), ...errors, code.length > 4096 ? { id: "code", error: "is too long" } : null);
      if (bad) return bad;
      if (!(await known(tenantId, providerId))) return unknownProvider;
      const callback = new URLSearchParams({ code, state, ...(iss ? { iss } : {}) });
      const exchanged = await functions.exchangeAuthCode({ tenantId, providerId, redirectURI, callback, browser: spendBinding(ctx) });
      if (exchanged.status !== "OK") return exchanged;
      const connectTo = exchanged.data.connect as { userId: string; sessionId: string } | undefined;
      if (connectTo) {
        // Only the session that started the connect finishes it: a link sent to a victim cannot join their identity to another's account.
        const viewer = await ctx.viewer();
        if (!viewer || viewer.user.id !== connectTo.userId || viewer.sessionId !== connectTo.sessionId) return { status: "INVALID_STATE_ERROR" };
        const linked = await functions.linkIdentity({ user: viewer.user, providerId, profile: exchanged.profile });
        if (linked.status !== "OK") return linked;
        // Linking adds a login method only: the user's row is as the session read it.
        const providerSession = await keepTokens(exchanged, viewer.user.id, providerId);
        return { status: "OK", createdNewUser: false, user: viewer.user, session: null, providerSession };
      }
      return fromExchange(exchanged, { tenantId, providerId }, profile, ctx);
    },

    async thirdPartyCallback({ providerId, callback }, ctx) {
      // A refusal (error=access_denied...) also spends the state, so it cannot be replayed.
      const exchanged = await functions.exchangeAuthCode({ tenantId: null, providerId, redirectURI: null, callback, browser: spendBinding(ctx) });
      const redirectTo = "data" in exchanged && typeof exchanged.data?.redirectTo === "string" ? exchanged.data.redirectTo : undefined;
      if (exchanged.status !== "OK") return { ...exchanged, ...(redirectTo ? { redirectTo } : {}) };
      // A connect is finished by the signed-in app (thirdPartySignInUp with its session), never by this route, which carries none.
      if (exchanged.data.connect) return { status: "INVALID_STATE_ERROR", ...(redirectTo ? { redirectTo } : {}) };
      // The tenant's policy as it is now, not as it was when the flow started.
      const bad = invalid(await checkTenant(deps, exchanged.tenantId, "thirdparty"));
      if (bad) return { ...bad, ...(redirectTo ? { redirectTo } : {}) };
      return fromExchange(exchanged, { tenantId: exchanged.tenantId, providerId }, undefined, ctx);
    },

    async signInIdToken({ providerId, idToken, nonce, options: signUpOptions, tenantId }, ctx) {
      const { profile, redirectTo, errors } = parseSignUpOptions(config, signUpOptions);
      const bad = invalid(
        await checkTenant(deps, tenantId, "thirdparty"),
        ...errors,
        idToken.length > MAX_TOKEN ? { id: "idToken", error: "is too long" } : null,
      );
      if (bad) return bad;
      const verified = await functions.verifyIdToken({ tenantId, providerId, idToken, nonce });
      if (verified.status === "UNKNOWN_PROVIDER") return unknownProvider;
      if (verified.status !== "OK") return verified;
      return finish(tenantId, providerId, verified.profile, profile, ctx, redirectTo);
    },

    async linkIdToken({ providerId, idToken, nonce }, ctx) {
      const viewer = await accountHolder(ctx);
      if ("status" in viewer) return viewer;
      if (idToken.length > MAX_TOKEN) return invalid({ id: "idToken", error: "is too long" })!;
      if (!isElevated(deps, viewer)) return elevationRequired(deps, viewer);
      const verified = await functions.verifyIdToken({ tenantId: viewer.user.tenantId, providerId, idToken, nonce });
      if (verified.status === "UNKNOWN_PROVIDER") return unknownProvider;
      if (verified.status !== "OK") return verified;
      return functions.linkIdentity({ user: viewer.user, providerId, profile: verified.profile });
    },

    async unlinkIdentity({ providerId, providerUserId }, ctx) {
      const viewer = await accountHolder(ctx);
      if ("status" in viewer) return viewer;
      if (providerId.length > 200 || providerUserId.length > 1024) return { status: "UNKNOWN_IDENTITY_ERROR" };
      if (!isElevated(deps, viewer)) return elevationRequired(deps, viewer);
      const outcome = await deps.accounts.unlinkIdentity(viewer.user, { thirdPartyId: providerId, thirdPartyUserId: providerUserId }, ctx.meta);
      if (outcome === "UNKNOWN") return { status: "UNKNOWN_IDENTITY_ERROR" };
      if (outcome === "LAST") return { status: "LAST_SIGN_IN_METHOD_ERROR" };
      return { status: "OK" };
    },

    async linkedIdentities(_, ctx) {
      const viewer = await ctx.viewer({ cached: true });
      if (!viewer) return null;
      const methods = await deps.accounts.loginMethods(viewer.user.id, RECIPE_ID);
      return methods.map((method) => ({
        providerId: method.thirdPartyId!,
        providerUserId: method.thirdPartyUserId!,
        email: method.email,
        verified: method.verified,
        createdAt: method.createdAt,
      }));
    },

    async refreshProviderToken({ providerId, refreshToken }, ctx) {
      const viewer = await ctx.viewer();
      if (!viewer) return { status: "UNAUTHORISED" };
      if (refreshToken && refreshToken.length > MAX_TOKEN) return invalid({ id: "refreshToken", error: "is too long" })!;
      const refreshed = await functions.refreshProviderToken({ tenantId: viewer.user.tenantId, userId: viewer.user.id, providerId, refreshToken });
      if (refreshed.status === "UNKNOWN_PROVIDER") return unknownProvider;
      if (refreshed.status === "FIELD_ERROR") return { status: "GENERAL_ERROR", message: refreshed.error };
      return refreshed;
    },
  };
}
