/**
 * The per-request context: who is calling (the viewer behind the bearer token,
 * loaded at most once per request), from where, and the app's services.
 */
import type { YogaInitialContext } from "graphql-yoga";
import type { IncomingMessage } from "node:http";
import type { Deps } from "./deps.js";
import { safeEqual } from "./crypto/tokens.js";
import type { RequestMeta } from "./sessions/service.js";
import type { AccessTokenClaims } from "./sessions/access-token.js";
import type { UserRow } from "./users/users.js";

export interface Viewer {
  user: UserRow;
  sessionId: string;
  /** Last real authentication of the session (elevation is measured from it). */
  authenticatedAt: Date;
  claims: AccessTokenClaims;
}

export interface Context {
  deps: Deps;
  request: Request;
  meta: RequestMeta;
  /** The bearer token's session and user, when valid and live; null otherwise. */
  viewer(): Promise<Viewer | null>;
  /** Whether the request carries the configured admin secret. */
  isAdmin(): boolean;
}

export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match ? match[1]! : null;
}

function clientIp(request: Request, req: IncomingMessage | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  return req?.socket?.remoteAddress ?? "";
}

export async function loadViewer(deps: Deps, token: string | null): Promise<Viewer | null> {
  if (!token) return null;
  const claims = await deps.sessions.verifyAccessToken(token);
  if (!claims) return null;
  const session = await deps.prisma.session.findUnique({ where: { id: claims.sid }, include: { user: true } });
  if (!session || session.revokedAt || session.expiresAt <= deps.clock.now()) return null;
  if (session.user.id !== claims.sub || session.user.disabled) return null;
  return { user: session.user, sessionId: session.id, authenticatedAt: session.authenticatedAt, claims };
}

export function createContext(deps: Deps, initial: YogaInitialContext & { req?: IncomingMessage }): Context {
  const { request } = initial;
  let viewer: Promise<Viewer | null> | undefined;
  return {
    deps,
    request,
    meta: {
      ip: clientIp(request, initial.req, deps.config.trustProxy),
      userAgent: request.headers.get("user-agent") ?? "",
    },
    viewer: () => (viewer ??= loadViewer(deps, bearerToken(request))),
    isAdmin() {
      const secret = request.headers.get("x-admin-secret");
      return Boolean(deps.config.adminSecret && secret && safeEqual(secret, deps.config.adminSecret));
    },
  };
}

/** Elevated operations need a recent real authentication of the session. */
export function isElevated(deps: Deps, viewer: Viewer): boolean {
  return deps.clock.now().getTime() - viewer.authenticatedAt.getTime() <= deps.config.elevationWindowSeconds * 1000;
}
