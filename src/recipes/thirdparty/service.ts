/**
 * Third-party sign-in with the seed's shapes (SuperTokens thirdparty): the
 * authorization URL, the code exchange and ID-token checks (openid-client, which
 * validates signature, iss, aud, azp, exp, iat, nonce, state, PKCE and the RFC 9207
 * `iss` parameter), native ID tokens (jose against the issuer's JWKS), and
 * signInUp, which keys identities by (provider, subject) and links to an existing
 * user by email only when both sides have verified it.
 *
 * State, PKCE verifier and nonce are made here and kept server-side (OAuthState,
 * state hashed, verifier sealed), bound to tenant, provider and redirect URI,
 * spent by the first callback, and live 10 minutes.
 */
import { createHash, randomUUID } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import * as oauth from "openid-client";
import type { Deps } from "../../deps.js";
import { addSeconds } from "../../clock.js";
import { randomToken, safeEqual, sha256 } from "../../crypto/tokens.js";
import { NO_REQUEST } from "../../accounts/accounts.js";
import type { NewAccount, NewLoginMethod } from "../../accounts/store.js";
import type { RequestMeta } from "../../sessions/service.js";
import type { OAuthState } from "../../generated/prisma/client.js";
import { normaliseEmail, type UserRow } from "../../accounts/users.js";
import { profileColumns, type NewUserProfile } from "../../accounts/sign-up-options.js";
import { resolveProvider, type ProviderProfile, type ResolvedProvider } from "./providers.js";

export const RECIPE_ID = "thirdparty";

/** The provider's tokens, as handed to the client once (`providerSession`). */
export interface ProviderSession {
  accessToken: string;
  refreshToken: string | null;
  idToken: string | null;
  expiresIn: number | null;
  scope: string | null;
}

type FieldError = { status: "FIELD_ERROR"; error: string; message: string };

export interface ThirdPartyFunctions {
  /** The providers enabled for a tenant (set by its admins, else THIRD_PARTY_PROVIDERS for the default tenant). */
  providers(input: { tenantId: string }): Promise<ResolvedProvider[]>;
  getAuthorisationUrl(input: {
    tenantId: string;
    providerId: string;
    redirectURI: string;
    data?: Record<string, unknown>;
  }): Promise<{ status: "OK"; url: string; state: string } | { status: "UNKNOWN_PROVIDER" }>;
  /**
   * Spends the state and trades the code for tokens and the profile they prove.
   * `tenantId` and `redirectURI` null: whatever the state was made for (the redirect routes).
   * `browser`: the binding cookie's value, which must match when the state was bound to a browser.
   */
  exchangeAuthCode(input: {
    tenantId: string | null;
    providerId: string;
    redirectURI: string | null;
    callback: URLSearchParams;
    browser?: string | null;
  }): Promise<
    | { status: "OK"; tenantId: string; profile: ProviderProfile; tokens: ProviderSession; provider: ResolvedProvider; data: Record<string, unknown> }
    | { status: "INVALID_STATE_ERROR" }
    | (FieldError & { data?: Record<string, unknown> })
  >;
  verifyIdToken(input: {
    tenantId: string;
    providerId: string;
    idToken: string;
    nonce?: string | null;
  }): Promise<{ status: "OK"; profile: ProviderProfile } | { status: "UNKNOWN_PROVIDER" } | FieldError>;
  signInUp(input: {
    tenantId: string;
    providerId: string;
    profile: ProviderProfile;
    newUser?: NewUserProfile;
    meta?: RequestMeta;
  }): Promise<
    { status: "OK"; user: UserRow; createdNewUser: boolean } | { status: "NO_EMAIL_GIVEN_BY_PROVIDER" } | { status: "SIGN_IN_UP_NOT_ALLOWED"; reason: string }
  >;
  /** Adds a provider identity to a signed-in user. */
  linkIdentity(input: {
    user: UserRow;
    providerId: string;
    profile: ProviderProfile;
  }): Promise<{ status: "OK"; wasAlreadyLinked: boolean } | { status: "PROVIDER_ACCOUNT_ALREADY_LINKED_ERROR" }>;
  /** Keeps the provider's tokens for the user (sealed). */
  storeTokens(input: { userId: string; providerId: string; tokens: ProviderSession }): Promise<void>;
  refreshProviderToken(input: {
    tenantId: string;
    userId: string;
    providerId: string;
    refreshToken?: string | null;
  }): Promise<{ status: "OK"; providerSession: ProviderSession } | FieldError | { status: "UNKNOWN_PROVIDER" }>;
}

const ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
// A native ID token is a sign-in proof only while fresh.
const MAX_ID_TOKEN_AGE_SECONDS = 600;
// Provider and server clocks differ a little.
const CLOCK_TOLERANCE_SECONDS = 60;

/** Plain-http issuers are only accepted on this machine (development, tests). */
function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === "http:" && (hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]");
}

const fieldError = (error: string): FieldError => ({ status: "FIELD_ERROR", error, message: error });

function describe(error: unknown): string {
  if (error instanceof oauth.ResponseBodyError) return `the provider answered ${error.error}${error.error_description ? `: ${error.error_description}` : ""}`;
  if (error instanceof oauth.AuthorizationResponseError) return `the provider answered ${error.error}`;
  return error instanceof Error ? error.message : "the provider could not be reached";
}

export function createThirdPartyFunctions(deps: Deps, self: () => ThirdPartyFunctions): ThirdPartyFunctions {
  const { prisma, clock, encrypter, config } = deps;
  // Resolved once at start-up, so a provider without preset or issuer stops the server with its name.
  for (const list of Object.values(config.thirdParty.providers)) list.forEach(resolveProvider);
  const providersOf = async (tenantId: string): Promise<ResolvedProvider[]> => (await deps.tenants.settings(tenantId)).thirdPartyProviders.map(resolveProvider);
  const find = async (tenantId: string, providerId: string) => (await providersOf(tenantId)).find((provider) => provider.id === providerId);

  const discovered = new Map<string, Promise<oauth.ServerMetadata>>();
  const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  /** The provider's server metadata (discovered once for OpenID Connect providers). */
  function metadataOf(tenantId: string, provider: ResolvedProvider): Promise<oauth.ServerMetadata> {
    const key = `${tenantId}\n${provider.id}\n${provider.issuer ?? provider.authorizationEndpoint}\n${provider.clientId}`;
    let pending = discovered.get(key);
    if (!pending) {
      pending = provider.issuer
        ? oauth
            .discovery(
              new URL(provider.issuer),
              provider.clientId,
              undefined,
              undefined,
              isLoopback(provider.issuer) ? { execute: [oauth.allowInsecureRequests] } : undefined,
            )
            .then((configuration) => configuration.serverMetadata())
        : Promise.resolve({
            issuer: new URL(provider.authorizationEndpoint!).origin,
            authorization_endpoint: provider.authorizationEndpoint,
            token_endpoint: provider.tokenEndpoint,
          });
      pending.catch(() => discovered.delete(key)); // try discovery again next time
      discovered.set(key, pending);
    }
    return pending;
  }

  /** An openid-client configuration for one exchange, on the app's clock. */
  async function configurationOf(tenantId: string, provider: ResolvedProvider): Promise<oauth.Configuration> {
    const auth = provider.clientSecret ? oauth.ClientSecretPost(provider.clientSecret) : oauth.None();
    const skew = Math.round((clock.now().getTime() - Date.now()) / 1000);
    const configuration = new oauth.Configuration(await metadataOf(tenantId, provider), provider.clientId, { [oauth.clockSkew]: skew }, auth);
    if (isLoopback(provider.issuer ?? provider.tokenEndpoint!)) oauth.allowInsecureRequests(configuration);
    return configuration;
  }

  async function spendState(stateValue: string): Promise<OAuthState | null> {
    if (stateValue.length === 0 || stateValue.length > 256) return null;
    const rows = await prisma.$queryRaw<OAuthState[]>`DELETE FROM "OAuthState" WHERE "stateHash" = ${sha256(stateValue)} RETURNING *`;
    const row = rows[0];
    return row && row.expiresAt > clock.now() ? row : null;
  }

  /** The profile from validated ID-token claims, completed from userinfo when the token lacks the email. */
  function profileFromClaims(claims: JWTPayload & Record<string, unknown>): ProviderProfile {
    const email = typeof claims.email === "string" && claims.email.length > 0 ? claims.email : null;
    return {
      id: String(claims.sub),
      email,
      // Some providers send "true" as a string.
      emailVerified: email !== null && (claims.email_verified === true || claims.email_verified === "true"),
      displayName: typeof claims.name === "string" ? claims.name : undefined,
      avatarUrl: typeof claims.picture === "string" ? claims.picture : undefined,
    };
  }

  const sessionOf = (tokens: oauth.TokenEndpointResponse): ProviderSession => ({
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token ?? null,
    idToken: tokens.id_token ?? null,
    expiresIn: tokens.expires_in ?? null,
    scope: tokens.scope ?? null,
  });

  /** The new account a provider identity signs up: the provider's name and picture unless the sign-up options give a name. */
  const newAccount = (tenantId: string, profile: ProviderProfile, newUser?: NewUserProfile): NewAccount => ({
    tenantId,
    profile: {
      ...profileColumns(config, newUser),
      displayName: newUser?.displayName || profile.displayName?.slice(0, 200) || "",
      avatarUrl: profile.avatarUrl?.slice(0, 2048) ?? "",
    },
  });

  const identity = (providerId: string, profile: ProviderProfile, email: string | null): NewLoginMethod => ({
    recipeId: RECIPE_ID,
    thirdPartyId: providerId,
    thirdPartyUserId: profile.id,
    email,
    verified: profile.emailVerified,
  });

  return {
    providers: ({ tenantId }) => providersOf(tenantId),

    async getAuthorisationUrl({ tenantId, providerId, redirectURI, data }) {
      const provider = await find(tenantId, providerId);
      if (!provider) return { status: "UNKNOWN_PROVIDER" };
      const configuration = await configurationOf(tenantId, provider);
      const state = randomToken();
      const codeVerifier = oauth.randomPKCECodeVerifier();
      const nonce = provider.issuer ? oauth.randomNonce() : null;
      const now = clock.now();
      await prisma.oAuthState.create({
        data: {
          stateHash: sha256(state),
          tenantId,
          providerId,
          redirectUri: redirectURI,
          codeVerifierEncrypted: encrypter.seal(codeVerifier),
          nonce,
          data: (data ?? {}) as object,
          createdAt: now,
          expiresAt: addSeconds(now, config.thirdParty.stateTtlSeconds),
        },
      });
      const url = oauth.buildAuthorizationUrl(configuration, {
        ...provider.authorizationParams,
        redirect_uri: redirectURI,
        ...(provider.scopes.length > 0 ? { scope: provider.scopes.join(" ") } : {}),
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: "S256",
        ...(nonce ? { nonce } : {}),
      });
      return { status: "OK", url: url.toString(), state };
    },

    async exchangeAuthCode({ tenantId, providerId, redirectURI, callback, browser }) {
      const stored = await spendState(callback.get("state") ?? "");
      // Login CSRF (RFC 9700 §4.7): a state made in one browser is only good in that browser.
      const binding = (stored?.data as { browser?: unknown } | undefined)?.browser;
      if (typeof binding === "string" && (!browser || !safeEqual(sha256(browser), binding))) return { status: "INVALID_STATE_ERROR" };
      if (
        !stored ||
        (tenantId !== null && stored.tenantId !== tenantId) ||
        stored.providerId !== providerId ||
        (redirectURI !== null && stored.redirectUri !== redirectURI)
      ) {
        return { status: "INVALID_STATE_ERROR" };
      }
      const provider = await find(stored.tenantId, providerId);
      if (!provider) return { status: "INVALID_STATE_ERROR" };
      try {
        const configuration = await configurationOf(stored.tenantId, provider);
        const current = new URL(stored.redirectUri);
        for (const [name, value] of callback) current.searchParams.set(name, value);
        const tokens = await oauth.authorizationCodeGrant(configuration, current, {
          pkceCodeVerifier: encrypter.open(stored.codeVerifierEncrypted),
          expectedState: callback.get("state")!,
          ...(stored.nonce ? { expectedNonce: stored.nonce, idTokenExpected: true } : {}),
        });
        let profile: ProviderProfile;
        if (provider.issuer) {
          const claims = tokens.claims()!;
          profile = profileFromClaims(claims);
          if (!profile.email && configuration.serverMetadata().userinfo_endpoint) {
            profile = profileFromClaims({ ...claims, ...(await oauth.fetchUserInfo(configuration, tokens.access_token, claims.sub)) });
          }
        } else {
          const get = async (url: string) => {
            const response = await oauth.fetchProtectedResource(configuration, tokens.access_token, new URL(url), "GET");
            if (!response.ok) throw new Error(`${new URL(url).pathname} answered ${response.status}`);
            return response.json();
          };
          profile = await provider.profile!(get, provider.apiUrl ?? "");
        }
        return { status: "OK", tenantId: stored.tenantId, profile, tokens: sessionOf(tokens), provider, data: stored.data as Record<string, unknown> };
      } catch (error) {
        deps.logger.info({ err: error, providerId }, "third-party code exchange refused");
        return { ...fieldError(`Signing in with ${provider.name} failed: ${describe(error)}`), data: stored.data as Record<string, unknown> };
      }
    },

    async verifyIdToken({ tenantId, providerId, idToken, nonce }) {
      const provider = await find(tenantId, providerId);
      if (!provider?.issuer) return { status: "UNKNOWN_PROVIDER" };
      try {
        const metadata = await metadataOf(tenantId, provider);
        let keys = keySets.get(metadata.jwks_uri!);
        if (!keys) {
          keys = createRemoteJWKSet(new URL(metadata.jwks_uri!));
          keySets.set(metadata.jwks_uri!, keys);
        }
        const audiences = [provider.clientId, ...provider.audiences];
        const { payload } = await jwtVerify(idToken, keys, {
          issuer: metadata.issuer,
          audience: audiences,
          algorithms: ASYMMETRIC,
          currentDate: clock.now(),
          maxTokenAge: MAX_ID_TOKEN_AGE_SECONDS,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ["sub", "iat", "exp"],
        });
        // OpenID Connect Core §3.1.3.7: with several audiences, azp must be one of ours.
        const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
        if ((aud.length > 1 || payload.azp !== undefined) && !audiences.includes(String(payload.azp))) {
          return fieldError("The ID token was issued to another client (azp)");
        }
        // The token must carry the nonce the app made, as is or (Apple, Google on iOS) as its SHA-256.
        if (nonce || payload.nonce !== undefined) {
          const hashed = nonce ? createHash("sha256").update(nonce).digest("hex") : null;
          if (!nonce || (payload.nonce !== nonce && payload.nonce !== hashed)) return fieldError("The ID token's nonce does not match");
        }
        return { status: "OK", profile: profileFromClaims(payload) };
      } catch (error) {
        return fieldError(`The ID token is not valid: ${describe(error)}`);
      }
    },

    async signInUp({ tenantId, providerId, profile, newUser, meta = NO_REQUEST }) {
      const email = profile.email ? normaliseEmail(profile.email) : null;
      for (let attempt = 0; attempt < 3; attempt++) {
        const ownerId = await deps.accounts.identityOwner(tenantId, providerId, profile.id);
        if (ownerId) {
          const user = (await deps.accounts.byId(ownerId, tenantId))!;
          if (!(profile.emailVerified && email && user.email === email && !user.emailVerified)) return { status: "OK", user, createdNewUser: false };
          // The provider now vouches for the account's address: a proof, under the linking rule like any other.
        }
        if (!email) return { status: "NO_EMAIL_GIVEN_BY_PROVIDER" };
        if (profile.emailVerified) {
          const signedIn = await deps.accounts.signInProven(
            { tenantId, contact: { email }, method: identity(providerId, profile, email), newAccount: () => newAccount(tenantId, profile, newUser) },
            meta,
          );
          if (signedIn.status === "OK") return { status: "OK", user: signedIn.user, createdNewUser: signedIn.created };
          continue;
        }
        // An address the provider has not verified proves nothing: it never joins an account.
        if (await deps.accounts.byEmail(tenantId, email)) {
          return { status: "SIGN_IN_UP_NOT_ALLOWED", reason: "An account with this email exists, and the provider has not verified the email" };
        }
        const created = await deps.accounts.signUp(
          { ...newAccount(tenantId, profile, newUser), email, loginMethod: identity(providerId, profile, email) },
          meta,
        );
        if (created.status === "OK") return { status: "OK", user: created.user, createdNewUser: true };
        // A parallel sign-in created the user or identity: look again.
      }
      return { status: "SIGN_IN_UP_NOT_ALLOWED", reason: "Try again" };
    },

    async linkIdentity({ user, providerId, profile }) {
      const ownerId = await deps.accounts.identityOwner(user.tenantId, providerId, profile.id);
      if (ownerId) return ownerId === user.id ? { status: "OK", wasAlreadyLinked: true } : { status: "PROVIDER_ACCOUNT_ALREADY_LINKED_ERROR" };
      const added = await deps.accounts.addLoginMethod(user, identity(providerId, profile, profile.email ? normaliseEmail(profile.email) : null));
      return added === "OK" ? { status: "OK", wasAlreadyLinked: false } : { status: "PROVIDER_ACCOUNT_ALREADY_LINKED_ERROR" };
    },

    async storeTokens({ userId, providerId, tokens }) {
      const sealed = {
        accessTokenEncrypted: encrypter.seal(tokens.accessToken),
        scope: tokens.scope ?? "",
        expiresAt: tokens.expiresIn ? addSeconds(clock.now(), tokens.expiresIn) : null,
        updatedAt: clock.now(),
      };
      const refresh = tokens.refreshToken ? { refreshTokenEncrypted: encrypter.seal(tokens.refreshToken) } : {};
      await prisma.providerToken.upsert({
        where: { userId_providerId: { userId, providerId } },
        create: { id: randomUUID(), userId, providerId, ...sealed, ...refresh },
        update: { ...sealed, ...refresh },
      });
    },

    async refreshProviderToken({ tenantId, userId, providerId, refreshToken }) {
      const provider = await find(tenantId, providerId);
      if (!provider) return { status: "UNKNOWN_PROVIDER" };
      const stored = await prisma.providerToken.findUnique({ where: { userId_providerId: { userId, providerId } } });
      const token = refreshToken ?? (stored?.refreshTokenEncrypted ? encrypter.open(stored.refreshTokenEncrypted) : null);
      if (!token) return fieldError(`No ${provider.name} refresh token is kept for this user`);
      try {
        const tokens = sessionOf(await oauth.refreshTokenGrant(await configurationOf(tenantId, provider), token));
        if (provider.storeTokens) await self().storeTokens({ userId, providerId, tokens });
        return { status: "OK", providerSession: tokens };
      } catch (error) {
        return fieldError(`Refreshing the ${provider.name} token failed: ${describe(error)}`);
      }
    },
  };
}

/** Housekeeping: expired authorization states can never be spent. */
export async function deleteExpiredStates({ prisma, clock }: Pick<Deps, "prisma" | "clock">): Promise<number> {
  return (await prisma.oAuthState.deleteMany({ where: { expiresAt: { lte: clock.now() } } })).count;
}
