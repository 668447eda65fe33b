/**
 * Third-party providers: what an operator configures (THIRD_PARTY_PROVIDERS) and
 * the presets that fill in the rest. An OpenID Connect provider needs only its
 * issuer (discovery gives the endpoints and JWKS); OAuth2-only providers
 * (GitHub, Discord, ...) name their endpoints and how to read the profile.
 */
import { z } from "zod";

/** The account a provider vouches for. */
export interface ProviderProfile {
  /** The provider's stable user id (`sub`). */
  id: string;
  email: string | null;
  emailVerified: boolean;
  displayName?: string;
  avatarUrl?: string;
}

/** GETs a URL of the provider's API with the user's access token; answers the JSON. */
type FetchJson = (url: string) => Promise<any>;

export interface OAuthPreset {
  name: string;
  /** OpenID Connect: endpoints, JWKS and userinfo come from the issuer's discovery document. */
  issuer?: string;
  /** OAuth2 only: */
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  /** The provider's API root (settings may point it at a self-hosted instance, e.g. GitHub Enterprise). */
  apiUrl?: string;
  /** Reads the profile with the access token (OAuth2-only providers). */
  profile?: (get: FetchJson, apiUrl: string) => Promise<ProviderProfile>;
  scopes: string[];
  authorizationParams?: Record<string, string>;
}

const oidc = (name: string, issuer: string, scopes = ["openid", "email", "profile"], authorizationParams?: Record<string, string>): OAuthPreset => ({
  name,
  issuer,
  scopes,
  authorizationParams,
});

const text = (value: unknown) => (typeof value === "string" && value.length > 0 ? value : undefined);

/**
 * Providers named in API.md. OpenID Connect ones by issuer; the others with
 * their endpoints and profile readers (emails only when the provider says they
 * are verified are marked verified).
 */
const PRESETS: Record<string, OAuthPreset> = {
  google: oidc("Google", "https://accounts.google.com"),
  // Apple posts the answer back (form_post) when email or name is asked for: the callback route takes POSTs.
  apple: oidc("Apple", "https://appleid.apple.com", ["openid", "email", "name"], { response_mode: "form_post" }),
  gitlab: oidc("GitLab", "https://gitlab.com"),
  microsoft: oidc("Microsoft Entra ID", "https://login.microsoftonline.com/common/v2.0"),
  linkedin: oidc("LinkedIn", "https://www.linkedin.com/oauth"),
  twitch: oidc("Twitch", "https://id.twitch.tv/oauth2", ["openid", "user:read:email"]),
  github: {
    name: "GitHub",
    authorizationEndpoint: "https://github.com/login/oauth/authorize",
    tokenEndpoint: "https://github.com/login/oauth/access_token",
    apiUrl: "https://api.github.com",
    scopes: ["read:user", "user:email"],
    async profile(get, api) {
      const user = await get(`${api}/user`);
      const emails: Array<{ email: string; primary: boolean; verified: boolean }> = await get(`${api}/user/emails`).catch(() => []);
      const primary = emails.find((email) => email.primary) ?? null;
      return {
        id: String(user.id),
        email: primary?.email ?? null,
        emailVerified: Boolean(primary?.verified),
        displayName: text(user.name) ?? text(user.login),
        avatarUrl: text(user.avatar_url),
      };
    },
  },
  discord: {
    name: "Discord",
    authorizationEndpoint: "https://discord.com/oauth2/authorize",
    tokenEndpoint: "https://discord.com/api/oauth2/token",
    scopes: ["identify", "email"],
    async profile(get) {
      const user = await get("https://discord.com/api/users/@me");
      return {
        id: String(user.id),
        email: text(user.email) ?? null,
        emailVerified: user.verified === true,
        displayName: text(user.global_name) ?? text(user.username),
        avatarUrl: user.avatar ? `https://cdn.discordapp.com/avatars/${user.id}/${user.avatar}.png` : undefined,
      };
    },
  },
  facebook: {
    name: "Facebook",
    authorizationEndpoint: "https://www.facebook.com/v19.0/dialog/oauth",
    tokenEndpoint: "https://graph.facebook.com/v19.0/oauth/access_token",
    scopes: ["email", "public_profile"],
    async profile(get) {
      const user = await get("https://graph.facebook.com/me?fields=id,name,email,picture");
      // Facebook only returns confirmed emails.
      return {
        id: String(user.id),
        email: text(user.email) ?? null,
        emailVerified: Boolean(user.email),
        displayName: text(user.name),
        avatarUrl: text(user.picture?.data?.url),
      };
    },
  },
  bitbucket: {
    name: "Bitbucket",
    authorizationEndpoint: "https://bitbucket.org/site/oauth2/authorize",
    tokenEndpoint: "https://bitbucket.org/site/oauth2/access_token",
    scopes: ["account", "email"],
    async profile(get) {
      const user = await get("https://api.bitbucket.org/2.0/user");
      const emails = await get("https://api.bitbucket.org/2.0/user/emails").catch(() => ({ values: [] }));
      const primary = (emails.values as Array<{ email: string; is_primary: boolean; is_confirmed: boolean }>).find((email) => email.is_primary);
      return {
        id: String(user.uuid ?? user.account_id),
        email: primary?.email ?? null,
        emailVerified: Boolean(primary?.is_confirmed),
        displayName: text(user.display_name),
        avatarUrl: text(user.links?.avatar?.href),
      };
    },
  },
  spotify: {
    name: "Spotify",
    authorizationEndpoint: "https://accounts.spotify.com/authorize",
    tokenEndpoint: "https://accounts.spotify.com/api/token",
    scopes: ["user-read-email"],
    async profile(get) {
      const user = await get("https://api.spotify.com/v1/me");
      // Spotify does not say whether the email was verified.
      return {
        id: String(user.id),
        email: text(user.email) ?? null,
        emailVerified: false,
        displayName: text(user.display_name),
        avatarUrl: text(user.images?.[0]?.url),
      };
    },
  },
  strava: {
    name: "Strava",
    authorizationEndpoint: "https://www.strava.com/oauth/authorize",
    tokenEndpoint: "https://www.strava.com/oauth/token",
    scopes: ["read"],
    async profile(get) {
      const user = await get("https://www.strava.com/api/v3/athlete");
      return {
        id: String(user.id),
        email: null,
        emailVerified: false,
        displayName: [user.firstname, user.lastname].filter(Boolean).join(" "),
        avatarUrl: text(user.profile),
      };
    },
  },
  twitter: {
    name: "X (Twitter)",
    authorizationEndpoint: "https://x.com/i/oauth2/authorize",
    tokenEndpoint: "https://api.x.com/2/oauth2/token",
    scopes: ["users.read", "tweet.read", "offline.access"],
    async profile(get) {
      const { data } = await get("https://api.x.com/2/users/me?user.fields=profile_image_url");
      return { id: String(data.id), email: null, emailVerified: false, displayName: text(data.name), avatarUrl: text(data.profile_image_url) };
    },
  },
  windowslive: {
    name: "Windows Live",
    authorizationEndpoint: "https://login.live.com/oauth20_authorize.srf",
    tokenEndpoint: "https://login.live.com/oauth20_token.srf",
    scopes: ["wl.basic", "wl.emails"],
    async profile(get) {
      const user = await get("https://apis.live.net/v5.0/me");
      return {
        id: String(user.id),
        email: text(user.emails?.account) ?? text(user.emails?.preferred) ?? null,
        emailVerified: false,
        displayName: text(user.name),
      };
    },
  },
  workos: {
    name: "WorkOS",
    authorizationEndpoint: "https://api.workos.com/sso/authorize",
    tokenEndpoint: "https://api.workos.com/sso/token",
    scopes: [],
    async profile(get) {
      const user = await get("https://api.workos.com/sso/profile");
      // Enterprise SSO: the identity provider vouches for the address.
      return {
        id: String(user.id),
        email: text(user.email) ?? null,
        emailVerified: Boolean(user.email),
        displayName: [user.first_name, user.last_name].filter(Boolean).join(" "),
      };
    },
  },
};

/** One entry of THIRD_PARTY_PROVIDERS (API.md's contract, plus optional extras). */
export const providerSettingsSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be a short lower-case id like google or my-idp"),
  name: z.string().min(1).optional(),
  issuer: z.url().optional(),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  scopes: z.array(z.string().min(1)).optional(),
  /** Extra client IDs accepted as `aud` of ID tokens (native apps) for signInIdToken. */
  audiences: z.array(z.string().min(1)).optional(),
  /** Keep the provider's access and refresh tokens (sealed) and return them as providerSession. */
  storeTokens: z.boolean().optional(),
  /** Extra query parameters for the authorization URL (e.g. prompt, access_type). */
  authorizationParams: z.record(z.string(), z.string()).optional(),
  /** OAuth2 presets on a self-hosted instance (GitHub Enterprise): its endpoints and API root. */
  authorizationEndpoint: z.url().optional(),
  tokenEndpoint: z.url().optional(),
  apiUrl: z.url().optional(),
});

export type ProviderSettings = z.infer<typeof providerSettingsSchema>;

/** A list of providers (THIRD_PARTY_PROVIDERS, a tenant's config): each usable (a preset or an issuer), ids unique. */
export const providerListSchema = z.array(providerSettingsSchema).superRefine((providers, ctx) => {
  for (const [index, provider] of providers.entries()) {
    try {
      resolveProvider(provider);
    } catch (error) {
      ctx.addIssue({ code: "custom", path: [index, "issuer"], message: (error as Error).message });
    }
  }
  const ids = providers.map((provider) => provider.id);
  if (new Set(ids).size !== ids.length) ctx.addIssue({ code: "custom", message: "provider ids must be unique" });
});

/** A provider ready to use: settings completed from its preset. */
export interface ResolvedProvider {
  id: string;
  name: string;
  clientId: string;
  clientSecret?: string;
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  apiUrl?: string;
  profile?: OAuthPreset["profile"];
  scopes: string[];
  audiences: string[];
  storeTokens: boolean;
  authorizationParams: Record<string, string>;
}

/** Completes settings from the preset of the same id; an unknown id needs an issuer. */
export function resolveProvider(settings: ProviderSettings): ResolvedProvider {
  const preset = PRESETS[settings.id];
  if (!preset && !settings.issuer)
    throw new Error(`provider "${settings.id}" is not a preset (${Object.keys(PRESETS).join(", ")}): give its OpenID Connect "issuer"`);
  const issuer = settings.issuer ?? preset?.issuer;
  return {
    id: settings.id,
    name: settings.name ?? preset?.name ?? settings.id,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    issuer,
    // An explicit issuer makes any preset an OpenID Connect provider.
    authorizationEndpoint: settings.issuer ? undefined : (settings.authorizationEndpoint ?? preset?.authorizationEndpoint),
    tokenEndpoint: settings.issuer ? undefined : (settings.tokenEndpoint ?? preset?.tokenEndpoint),
    apiUrl: (settings.apiUrl ?? preset?.apiUrl)?.replace(/\/+$/, ""),
    profile: settings.issuer ? undefined : preset?.profile,
    scopes: settings.scopes ?? preset?.scopes ?? ["openid", "email", "profile"],
    audiences: settings.audiences ?? [],
    storeTokens: settings.storeTokens ?? false,
    authorizationParams: { ...(settings.issuer ? {} : preset?.authorizationParams), ...settings.authorizationParams },
  };
}
