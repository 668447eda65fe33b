/** The personal-access-token fields of API.md, each present only while its API is enabled. */
import type { Builder } from "../../schema/builder.js";
import type { Results } from "../../schema/result-types.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import { viewerList, type SharedTypes } from "../../accounts/schema.js";
import type { EnabledApis } from "../override.js";
import type { PatApis } from "./api.js";
import type { PersonalAccessTokenInfo } from "./service.js";

export function registerPatSchema(builder: Builder, results: Results, types: SharedTypes, apis: EnabledApis<PatApis>): void {
  if (apis.createPersonalAccessToken) {
    const api = apis.createPersonalAccessToken;
    const Ok = results.ok<{ id: string; personalAccessToken: string }>("CreatePersonalAccessTokenOk", (t) => ({
      id: t.exposeID("id"),
      personalAccessToken: t.exposeString("personalAccessToken", { description: "Shown once: keep it like a password." }),
    }));
    results.mutation("createPersonalAccessToken", {
      ok: Ok,
      errors: ["INVALID_INPUT_ERROR", "ELEVATION_REQUIRED", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS"],
      description: "Elevated: a long-lived token for scripts; signInPersonalAccessToken trades it for a session.",
      args: (arg) => ({ expiresAt: arg({ type: "DateTime", required: true }), metadata: arg({ type: "JSON", required: false }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.signInPersonalAccessToken) {
    const api = apis.signInPersonalAccessToken;
    const Ok = results.ok<{ session: SessionWithUser }>("SignInPersonalAccessTokenOk", (t) => ({
      session: t.field({ type: types.Session, resolve: (value) => value.session }),
    }));
    results.mutation("signInPersonalAccessToken", {
      metric: { signIn: "personalAccessToken" },
      ok: Ok,
      errors: ["INVALID_PERSONAL_ACCESS_TOKEN_ERROR", "LIMIT_REACHED_ERROR"],
      credentialCheck: true,
      description: "Trades a personal access token for a session.",
      args: (arg) => ({ personalAccessToken: arg.string({ required: true }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.personalAccessTokens) {
    const api = apis.personalAccessTokens;
    const Info = builder.objectRef<PersonalAccessTokenInfo>("PersonalAccessToken").implement({
      fields: (t) => ({
        id: t.exposeID("id"),
        metadata: t.field({ type: "JSON", resolve: (token) => token.metadata }),
        expiresAt: t.field({ type: "DateTime", resolve: (token) => token.expiresAt }),
        createdAt: t.field({ type: "DateTime", resolve: (token) => token.createdAt }),
        lastUsedAt: t.field({ type: "DateTime", nullable: true, resolve: (token) => token.lastUsedAt }),
      }),
    });
    viewerList(builder, types.User, "personalAccessTokens", {
      type: Info,
      description: "The user's personal access tokens (never the tokens themselves).",
      list: (ctx) => api({}, ctx),
    });
  }

  if (apis.revokePersonalAccessToken) {
    const api = apis.revokePersonalAccessToken;
    const Ok = results.ok<{ didExist: boolean }>("RevokePersonalAccessTokenOk", (t) => ({ didExist: t.exposeBoolean("didExist") }));
    results.mutation("revokePersonalAccessToken", {
      ok: Ok,
      errors: ["UNAUTHORISED"],
      description: "Revokes one of the signed-in user's personal access tokens.",
      args: (arg) => ({ id: arg.id({ required: true }) }),
      resolve: (args, ctx) => api({ id: String(args.id) }, ctx),
    });
  }
}
