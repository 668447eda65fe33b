/**
 * The per-request context: who is calling (the viewer behind the bearer token,
 * loaded at most once per request), from where, and the app's services.
 */
import type { YogaInitialContext } from "graphql-yoga";
import type { IncomingMessage } from "node:http";
import type { Deps } from "./deps.js";
import { safeEqual } from "./crypto/tokens.js";
import type { LiveSession, RequestMeta } from "./sessions/service.js";
import { amrOf, elevatedUntil } from "./sessions/assurance.js";
import type { AccessTokenClaims } from "./sessions/access-token.js";
import { isUuid } from "./accounts/users.js";
import proxyaddr from "proxy-addr";
import type { Config } from "./config.js";

/** The signed-in user behind a request: the live session (how and when it was proven), its id and the token's claims. */
export interface Viewer extends LiveSession {
  sessionId: string;
  claims: AccessTokenClaims;
}

export interface Context {
  deps: Deps;
  request: Request;
  meta: RequestMeta;
  /**
   * The bearer token's session and user, when valid and live; null otherwise.
   * Read-only fields may pass `{ cached: true }` to accept a view up to
   * SESSION_CACHE_TTL old (see sessions/viewer-cache.ts); everything else reads the database.
   */
  viewer(options?: { cached?: boolean }): Promise<Viewer | null>;
  /**
   * What `viewer({ cached: true })` will answer, when the caches alone answer it (a
   * token verified before, its session cached): lets a read like `me` resolve
   * without a promise. Undefined when the viewer must be loaded.
   */
  cachedViewerNow(): Viewer | null | undefined;
  /** Whether the request carries the configured admin secret. */
  isAdmin(): boolean;
}

export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match ? match[1]! : null;
}

/** Stands for every request whose address is unknown: they share one bucket of each per-IP limit, never none. */
export const UNKNOWN_IP = "unknown";

type Trust = (address: string, hop: number) => boolean;
const trustOf = new WeakMap<Config, Trust>();

/** TRUST_PROXY as proxy-addr's trust function: the nearest `n` hops (as Express counts them), or addresses in the ranges. */
function trustFor(config: Config): Trust {
  let trust = trustOf.get(config);
  if (!trust) {
    const { trustProxy } = config;
    trust = typeof trustProxy === "number" ? (_, hop) => hop < trustProxy : proxyaddr.compile(trustProxy || []);
    trustOf.set(config, trust);
  }
  return trust;
}

export function clientIp(request: Request, peer: string | undefined, config: Config): string {
  if (!peer) return UNKNOWN_IP;
  if (config.trustProxy === false) return peer;
  const forwarded = request.headers.get("x-forwarded-for") ?? undefined;
  try {
    return proxyaddr({ headers: { "x-forwarded-for": forwarded }, connection: { remoteAddress: peer } } as never, trustFor(config)) || UNKNOWN_IP;
  } catch {
    return UNKNOWN_IP;
  }
}

/** A live session as the viewer of a request bearing a token with these claims. */
const asViewer = (live: LiveSession, claims: AccessTokenClaims): Viewer => ({ ...live, sessionId: claims.sid, claims });

/**
 * loadViewer({ cached: true }) from the caches alone: undefined when the token must
 * be verified or the session read. (Only a session loadViewer proved live for a
 * token's sid and sub is cached under that sid.)
 */
function viewerFromCaches(deps: Deps, token: string | null): Viewer | null | undefined {
  if (!token) return null;
  const claims = deps.sessions.verifiedAccessToken(token);
  if (!claims) return undefined;
  const cached = deps.viewerCache.get(claims.sid);
  return cached && asViewer(cached, claims);
}

/**
 * The viewer behind an access token: one statement that also proves the
 * session is live and the user enabled, so revocation takes effect at once.
 * (A hot path: the statement runs on the driver, see SqlRunner in db/database.ts.)
 */
export async function loadViewer(deps: Deps, token: string | null, options: { cached?: boolean } = {}): Promise<Viewer | null> {
  if (!token) return null;
  const claims = await deps.sessions.verifyAccessToken(token);
  if (!claims || !isUuid(claims.sid) || !isUuid(claims.sub)) return null;
  const cached = options.cached ? deps.viewerCache.get(claims.sid) : undefined;
  if (cached) return asViewer(cached, claims);
  const live = await deps.sessions.live(claims.sid, claims.sub);
  if (!live) return null;
  deps.viewerCache.set(claims.sid, live);
  return asViewer(live, claims);
}

export function createContext(deps: Deps, initial: YogaInitialContext & { req?: IncomingMessage; ip?: string }): Context {
  const { request } = initial;
  let viewer: Promise<Viewer | null> | undefined;
  let cachedViewer: Promise<Viewer | null> | undefined;
  let cachedNow: Viewer | null | undefined;
  return {
    deps,
    request,
    meta: {
      ip: clientIp(request, initial.ip ?? initial.req?.socket?.remoteAddress, deps.config),
      userAgent: request.headers.get("user-agent") ?? "",
    },
    viewer: (options) =>
      options?.cached
        ? (viewer ?? (cachedViewer ??= loadViewer(deps, bearerToken(request), { cached: true })))
        : (viewer ??= loadViewer(deps, bearerToken(request))),
    cachedViewerNow() {
      // Not once the viewer is loaded (or loading) the other way: one answer per request.
      if (cachedNow === undefined && !viewer && !cachedViewer) {
        cachedNow = viewerFromCaches(deps, bearerToken(request));
        if (cachedNow !== undefined) cachedViewer = Promise.resolve(cachedNow);
      }
      return cachedNow;
    },
    isAdmin: () => hasAdminSecret(deps, request),
  };
}

/** The signed-in user when they have a real account: else the status to answer (not signed in, or anonymous). */
export async function accountHolder(ctx: Context): Promise<Viewer | { status: "UNAUTHORISED" } | { status: "FORBIDDEN_ANONYMOUS" }> {
  const viewer = await ctx.viewer();
  if (!viewer) return { status: "UNAUTHORISED" };
  return viewer.user.isAnonymous ? { status: "FORBIDDEN_ANONYMOUS" } : viewer;
}

/** Whether the request carries the configured admin secret (`x-admin-secret`). */
export function hasAdminSecret(deps: Deps, request: Request): boolean {
  const secret = request.headers.get("x-admin-secret");
  return Boolean(deps.config.adminSecret && secret && safeEqual(secret, deps.config.adminSecret));
}

/**
 * ElevationRequiredError with the step-up proofs this session may give (`factors`: "password", "totp", "webauthn", "emailCode", "smsCode",
 * each only when the account had it by the time the session was opened), or why it can never be elevated.
 */
export async function elevationRequired(deps: Deps, viewer: Viewer): Promise<{ status: "ELEVATION_REQUIRED"; message?: string; factors: string[] }> {
  if (viewer.kind !== "interactive") {
    return { status: "ELEVATION_REQUIRED", message: "A session opened with a personal access token cannot do this: sign in interactively", factors: [] };
  }
  return { status: "ELEVATION_REQUIRED", factors: await deps.mfa.stepUpFactors(viewer.user, viewer.openedAt) };
}

/** Whether `factor` may step this session up: the account had it when the session opened, and it is strong enough for the user (mfa/registry.ts). */
export async function mayStepUpWith(deps: Deps, viewer: Viewer, factor: string): Promise<boolean> {
  return viewer.kind === "interactive" && (await deps.mfa.stepUpFactors(viewer.user, viewer.openedAt)).includes(factor);
}

/**
 * A step-up proof passed: the session counts as authenticated now (its amr gains
 * the factor's methods), the event is audited, and the answer says until when.
 */
export async function stepUp(deps: Deps, viewer: Viewer, factor: string, meta: RequestMeta): Promise<{ status: "OK"; elevatedUntil: Date }> {
  const now = deps.clock.now();
  await deps.sessions.markAuthenticated(viewer.sessionId, amrOf(factor));
  await deps.audit.recordFor(meta, "session.elevated", viewer.user, { factor });
  return { status: "OK", elevatedUntil: elevatedUntil({ kind: viewer.kind, authenticatedAt: now }, deps.config.elevationWindowSeconds)! };
}

/**
 * Elevated operations need a recent real authentication of an interactive
 * session: a personal access token's session never is elevated (sessions/assurance.ts).
 */
export function isElevated(deps: Deps, viewer: Viewer): boolean {
  const until = elevatedUntil(viewer, deps.config.elevationWindowSeconds);
  return until !== null && deps.clock.now() <= until;
}
