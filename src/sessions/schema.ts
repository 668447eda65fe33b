/** Session fields: refreshSession, signOut, sessions, revokeSession, verifyToken, jwks. */
import type { Builder } from "../schema/builder.js";
import { CREDENTIAL_CHECK } from "../schema/fields.js";
import type { Results } from "../schema/result-types.js";
import { toResult } from "../schema/results.js";
import { viewerList, type SharedTypes } from "../users/schema.js";
import type { EnabledApis } from "../recipes/override.js";
import type { SessionApis } from "./api.js";
import type { SessionInfo, SessionTokens } from "./service.js";
import type { AccessTokenClaims } from "./access-token.js";

export function registerSessionSchema(builder: Builder, results: Results, types: SharedTypes, apis: EnabledApis<SessionApis>): void {
  const { refreshSession, signOut, sessions, revokeSession, verifyToken } = apis;

  if (refreshSession) {
    const Ok = results.ok<{ session: SessionTokens }>("RefreshSessionOk", (t) => ({ session: t.field({ type: types.Session, resolve: (value) => value.session }) }));
    const Result = results.union("RefreshSessionResult", Ok, ["UNAUTHORISED", "TOKEN_THEFT_DETECTED"]);
    builder.mutationField("refreshSession", (t) =>
      t.field({
        type: Result,
        description: "Trades a refresh token for a new session (the refresh token rotates on every use).",
        extensions: CREDENTIAL_CHECK,
        args: { refreshToken: t.arg.string({ required: true }) },
        resolve: async (_, args, ctx) => toResult(await refreshSession(args, ctx)) as never,
      }),
    );
  }

  if (signOut) {
    const Ok = results.ok("SignOutOk");
    const Result = results.union("SignOutResult", Ok, []);
    builder.mutationField("signOut", (t) =>
      t.field({
        type: Result,
        description: "Ends the session of the refresh token (or of the Bearer token); `all` ends every session of its user.",
        args: {
          refreshToken: t.arg.string({ required: false }),
          all: t.arg.boolean({ required: false, defaultValue: false }),
        },
        resolve: async (_, args, ctx) => toResult(await signOut({ refreshToken: args.refreshToken, all: args.all ?? false }, ctx)) as never,
      }),
    );
  }

  if (sessions) {
    const SessionInfoType = builder.objectRef<SessionInfo & { current: boolean }>("SessionInfo").implement({
      fields: (t) => ({
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
    const Ok = results.ok("RevokeSessionOk");
    const Result = results.union("RevokeSessionResult", Ok, ["UNKNOWN_SESSION_ERROR", "UNAUTHORISED"]);
    builder.mutationField("revokeSession", (t) =>
      t.field({
        type: Result,
        description: "Ends one of the signed-in user's sessions.",
        args: { sessionId: t.arg.id({ required: true }) },
        resolve: async (_, args, ctx) => toResult(await revokeSession({ sessionId: String(args.sessionId) }, ctx)) as never,
      }),
    );
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
