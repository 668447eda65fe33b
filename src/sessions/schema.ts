/** Session fields: refreshSession, signOut, sessions, revokeSession, verifyToken, jwks. */
import type { Builder } from "../schema/builder.js";
import { CREDENTIAL_CHECK } from "../schema/fields.js";
import type { Results } from "../schema/result-types.js";
import { toResult } from "../results.js";
import { viewerList, type SharedTypes } from "../accounts/schema.js";
import type { EnabledApis } from "../recipes/override.js";
import type { SessionApis } from "./api.js";
import { elevatedUntil } from "./assurance.js";
import type { SessionInfo, SessionTokens } from "./service.js";
import type { AccessTokenClaims } from "./access-token.js";

export function registerSessionSchema(builder: Builder, results: Results, types: SharedTypes, apis: EnabledApis<SessionApis>): void {
  const { refreshSession, signOut, sessions, revokeSession, verifyToken } = apis;

  if (refreshSession) {
    results.mutation("refreshSession", {
      metric: "refresh",
      ok: results.ok<{ session: SessionTokens }>("RefreshSessionOk", (t) => ({ session: t.field({ type: types.Session, resolve: (value) => value.session }) })),
      errors: ["UNAUTHORISED", "TOKEN_THEFT_DETECTED"],
      credentialCheck: true,
      description:
        "Trades a refresh token for a new session (the refresh token rotates on every use). In cookie mode, without `refreshToken`, the session cookie's (from an allowed Origin only).",
      args: (arg) => ({ refreshToken: arg.string({ required: false }) }),
      resolve: (args, ctx) => refreshSession(args, ctx),
    });
  }

  if (signOut) {
    results.mutation("signOut", {
      ok: results.ok("SignOutOk"),
      errors: [],
      description:
        "Ends the session of the refresh token (or, without one, of the session cookie or the Bearer token); `all` ends every session of its user. In cookie mode, clears the cookie.",
      args: (arg) => ({ refreshToken: arg.string({ required: false }), all: arg.boolean({ required: false, defaultValue: false }) }),
      resolve: (args, ctx) => signOut({ refreshToken: args.refreshToken, all: args.all ?? false }, ctx),
    });
  }

  if (sessions) {
    const SessionKindType = builder.enumType("SessionKind", {
      description: "How a session was opened: a person signing in, a personal access token (never elevated), or an anonymous user.",
      values: { INTERACTIVE: { value: "interactive" }, PERSONAL_ACCESS_TOKEN: { value: "pat" }, ANONYMOUS: { value: "anonymous" } } as const,
    });
    const SessionInfoType = builder.objectRef<SessionInfo & { current: boolean }>("SessionInfo").implement({
      fields: (t) => ({
        kind: t.field({ type: SessionKindType, resolve: (session) => session.kind as never }),
        amr: t.exposeStringList("amr", { description: "How the session was proven (RFC 8176 values: pwd, otp, sms, hwk, user, mfa; fed, pat)." }),
        authenticatedAt: t.field({
          type: "DateTime",
          description: "Its last real authentication (the access token's auth_time).",
          resolve: (session) => session.authenticatedAt,
        }),
        elevatedUntil: t.field({
          type: "DateTime",
          nullable: true,
          description: "Until when it may do elevated operations (null: never, a personal access token's session).",
          resolve: (session, _, ctx) => elevatedUntil(session, ctx.deps.config.elevationWindowSeconds),
        }),
        id: t.exposeID("id"),
        createdAt: t.field({ type: "DateTime", resolve: (session) => session.createdAt }),
        lastUsedAt: t.field({ type: "DateTime", resolve: (session) => session.lastUsedAt }),
        userAgent: t.exposeString("userAgent"),
        ip: t.exposeString("ip"),
        current: t.exposeBoolean("current", { description: "Whether this is the session of the calling access token." }),
      }),
    });
    viewerList(builder, types.User, "sessions", { type: SessionInfoType, description: "The user's live sessions.", list: (ctx) => sessions({}, ctx) });
  }

  if (revokeSession) {
    results.mutation("revokeSession", {
      ok: results.ok("RevokeSessionOk"),
      errors: ["UNKNOWN_SESSION_ERROR", "UNAUTHORISED"],
      description: "Ends one of the signed-in user's sessions.",
      args: (arg) => ({ sessionId: arg.id({ required: true }) }),
      resolve: (args, ctx) => revokeSession({ sessionId: String(args.sessionId) }, ctx),
    });
  }

  if (verifyToken) {
    const Ok = results.ok<{ claims: AccessTokenClaims }>("VerifyTokenOk", (t) => ({ claims: t.field({ type: "JSON", resolve: (value) => value.claims }) }));
    const Result = results.union("VerifyTokenResult", Ok, ["UNAUTHORISED"]);
    builder.queryField("verifyToken", (t) =>
      t.field({
        type: Result,
        description: "Checks an access token (or the Authorization header's): its claims while the token is valid and its session live.",
        extensions: CREDENTIAL_CHECK,
        args: { token: t.arg.string({ required: false }) },
        resolve: async (_, args, ctx) => toResult(await verifyToken(args, ctx)) as never,
      }),
    );
  }

  builder.queryField("jwks", (t) =>
    t.field({
      type: "JSON",
      description: "The JSON Web Key Set that verifies access tokens (also at GET /.well-known/jwks.json).",
      resolve: (_, __, ctx) => ctx.deps.keys.jwks(),
    }),
  );
}
