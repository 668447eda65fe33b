/** The personal-access-token fields of API.md, each present only while its API is enabled. */
import type { Builder } from "../../schema/builder.js";
import { CREDENTIAL_CHECK } from "../../schema/fields.js";
import type { Results } from "../../schema/result-types.js";
import { toResult } from "../../schema/results.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import { viewerList, type SharedTypes } from "../../users/schema.js";
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
    const Result = results.union("CreatePersonalAccessTokenResult", Ok, ["INVALID_INPUT_ERROR", "ELEVATION_REQUIRED", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS"]);
    builder.mutationField("createPersonalAccessToken", (t) =>
      t.field({
        type: Result,
        description: "Elevated: a long-lived token for scripts; signInPersonalAccessToken trades it for a session.",
        args: { expiresAt: t.arg({ type: "DateTime", required: true }), metadata: t.arg({ type: "JSON", required: false }) },
        resolve: async (_, args, ctx) => toResult(await api(args, ctx)) as never,
      }),
    );
  }

  if (apis.signInPersonalAccessToken) {
    const api = apis.signInPersonalAccessToken;
    const Ok = results.ok<{ session: SessionWithUser }>("SignInPersonalAccessTokenOk", (t) => ({
      session: t.field({ type: types.Session, resolve: (value) => value.session }),
    }));
    const Result = results.union("SignInPersonalAccessTokenResult", Ok, ["INVALID_PERSONAL_ACCESS_TOKEN_ERROR"]);
    builder.mutationField("signInPersonalAccessToken", (t) =>
      t.field({
        type: Result,
        extensions: CREDENTIAL_CHECK,
        args: { personalAccessToken: t.arg.string({ required: true }) },
        resolve: async (_, args, ctx) => toResult(await api(args, ctx)) as never,
      }),
    );
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
    const Result = results.union("RevokePersonalAccessTokenResult", Ok, ["UNAUTHORISED"]);
    builder.mutationField("revokePersonalAccessToken", (t) =>
      t.field({
        type: Result,
        args: { id: t.arg.id({ required: true }) },
        resolve: async (_, args, ctx) => toResult(await api({ id: String(args.id) }, ctx)) as never,
      }),
    );
  }
}
