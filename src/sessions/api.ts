/** What the session fields do, as overridable functions returning status values. */
import { loadViewer, type Context } from "../context.js";
import type { Deps } from "../deps.js";
import { isUuid } from "../accounts/users.js";
import type { AccessTokenClaims } from "./access-token.js";
import type { SessionInfo, SessionTokens } from "./service.js";
import { clearedRefreshCookie, fromAllowedOrigin, queueCookie, refreshTokenOf } from "./cookies.js";

export interface SessionApis {
  refreshSession(
    input: { refreshToken?: string | null },
    ctx: Context,
  ): Promise<{ status: "OK"; session: SessionTokens } | { status: "UNAUTHORISED" } | { status: "TOKEN_THEFT_DETECTED" }>;
  signOut(input: { refreshToken?: string | null; all: boolean }, ctx: Context): Promise<{ status: "OK" }>;
  /** The signed-in user's live sessions; null without a session. */
  sessions(input: object, ctx: Context): Promise<Array<SessionInfo & { current: boolean }> | null>;
  revokeSession(input: { sessionId: string }, ctx: Context): Promise<{ status: "OK" } | { status: "UNKNOWN_SESSION_ERROR" } | { status: "UNAUTHORISED" }>;
  verifyToken(input: { token?: string | null }, ctx: Context): Promise<{ status: "OK"; claims: AccessTokenClaims } | { status: "UNAUTHORISED" }>;
}

export function createSessionApis(deps: Deps): SessionApis {
  const { sessions, audit, config } = deps;
  /** The cookie's refresh token, only for a request from an allowed page (another site cannot rotate or end the session). */
  const cookieToken = (ctx: Context) => (fromAllowedOrigin(config, ctx.request) ? refreshTokenOf(config, ctx.request) : null);

  return {
    async refreshSession({ refreshToken: given }, ctx) {
      const refreshToken = given ?? cookieToken(ctx);
      if (!refreshToken) return { status: "UNAUTHORISED" };
      const result = await sessions.refresh(refreshToken, ctx.meta);
      // A cookie that no longer works is cleared (the new one, on success, is set with the result).
      if (result.status !== "OK" && given == null && config.sessionCookies) queueCookie(ctx.request, clearedRefreshCookie(config));
      if (result.status === "TOKEN_THEFT_DETECTED") {
        await audit.record({
          type: "session.token_theft_detected",
          tenantId: result.tenantId,
          userId: result.userId,
          ip: ctx.meta.ip,
          userAgent: ctx.meta.userAgent,
          data: { sessionId: result.sessionId },
        });
        return { status: "TOKEN_THEFT_DETECTED" };
      }
      return result;
    },

    async signOut({ refreshToken: given, all }, ctx) {
      if (config.sessionCookies) queueCookie(ctx.request, clearedRefreshCookie(config));
      const refreshToken = given ?? cookieToken(ctx);
      const viewer = await ctx.viewer();
      const session = refreshToken
        ? await sessions.findByRefreshToken(refreshToken)
        : viewer
          ? { id: viewer.sessionId, userId: viewer.user.id, current: true }
          : null;
      if (!session) return { status: "OK" };
      // A token rotated away may be a thief's copy: it ends its own session, never the user's others.
      if (all && session.current) await sessions.revokeAll(session.userId, "signed_out");
      else await sessions.revoke(session.id, "signed_out");
      const user = await deps.accounts.byId(session.userId);
      if (user) {
        await audit.record({
          type: "user.signed_out",
          tenantId: user.tenantId,
          userId: user.id,
          ip: ctx.meta.ip,
          userAgent: ctx.meta.userAgent,
          data: { all },
        });
      }
      return { status: "OK" };
    },

    async sessions(_, ctx) {
      const viewer = await ctx.viewer();
      if (!viewer) return null;
      const list = await sessions.list(viewer.user.id);
      return list.map((session) => ({ ...session, current: session.id === viewer.sessionId }));
    },

    async revokeSession({ sessionId }, ctx) {
      const viewer = await ctx.viewer();
      if (!viewer) return { status: "UNAUTHORISED" };
      if (!isUuid(sessionId) || !(await sessions.revoke(sessionId, "revoked_by_user", viewer.user.id))) return { status: "UNKNOWN_SESSION_ERROR" };
      await audit.record({
        type: "session.revoked",
        tenantId: viewer.user.tenantId,
        userId: viewer.user.id,
        ip: ctx.meta.ip,
        userAgent: ctx.meta.userAgent,
        data: { sessionId },
      });
      return { status: "OK" };
    },

    async verifyToken({ token }, ctx) {
      // A valid signature is not enough: the session must still be live and the user enabled.
      const viewer = token ? await loadViewer(deps, token) : await ctx.viewer();
      return viewer ? { status: "OK", claims: viewer.claims } : { status: "UNAUTHORISED" };
    },
  };
}
