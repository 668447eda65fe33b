/** The third-party fields of API.md, each present only while its API is enabled. */
import type { ObjectRef } from "@pothos/core";
import type { AuthConfigRef } from "../../schema/auth-config.js";
import type { Builder, Types } from "../../schema/builder.js";
import { tenantArg, tenantOf } from "../../schema/fields.js";
import type { Results } from "../../schema/result-types.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import { viewerList, type SharedTypes } from "../../accounts/schema.js";
import type { UserRow } from "../../accounts/users.js";
import type { EnabledApis } from "../override.js";
import type { LinkedIdentity, ThirdPartyApis } from "./api.js";
import type { ProviderSession } from "./service.js";

/** Registers the fields; answers the ThirdPartyProvider type (authConfig lists providers too). */
export function registerThirdPartySchema(builder: Builder, results: Results, types: SharedTypes, apis: EnabledApis<ThirdPartyApis>) {
  const Provider = builder.objectRef<{ id: string; name: string }>("ThirdPartyProvider").implement({
    description: "A sign-in provider: render a button, then thirdPartyAuthorisationUrl or GET /signin/provider/{id}.",
    fields: (t) => ({ id: t.exposeString("id"), name: t.exposeString("name") }),
  });
  const ProviderSessionType = builder.objectRef<ProviderSession>("ProviderSession").implement({
    description: "The provider's own tokens, for calling its APIs (only for providers configured with storeTokens).",
    fields: (t) => ({
      accessToken: t.exposeString("accessToken"),
      refreshToken: t.exposeString("refreshToken", { nullable: true }),
      idToken: t.exposeString("idToken", { nullable: true }),
      expiresIn: t.exposeInt("expiresIn", { nullable: true, description: "Seconds until accessToken expires." }),
      scope: t.exposeString("scope", { nullable: true }),
    }),
  });
  const signedInFields = <T extends { user: UserRow; session: SessionWithUser; createdNewUser: boolean }>(
    t: PothosSchemaTypes.ObjectFieldBuilder<Types, T>,
  ) => ({
    ...types.signedIn(t),
    createdNewUser: t.boolean({ resolve: (value) => value.createdNewUser }),
  });

  if (apis.thirdPartyProviders) {
    const api = apis.thirdPartyProviders;
    builder.queryField("thirdPartyProviders", (t) =>
      t.field({
        type: [Provider],
        description: "The providers enabled for the tenant, for rendering sign-in buttons.",
        args: { tenantId: tenantArg(t) },
        resolve: (_, args, ctx) => api({ tenantId: tenantOf(args) }, ctx),
      }),
    );
  }

  if (apis.thirdPartyAuthorisationUrl) {
    const api = apis.thirdPartyAuthorisationUrl;
    const Ok = results.ok<{ url: string; state: string }>("ThirdPartyAuthorisationUrlOk", (t) => ({
      url: t.exposeString("url", { description: "Send the browser here." }),
      state: t.exposeString("state", { description: "Also in the URL; the provider sends it back with the code." }),
    }));
    results.mutation("thirdPartyAuthorisationUrl", {
      ok: Ok,
      errors: ["INVALID_INPUT_ERROR", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS", "ELEVATION_REQUIRED"],
      description: "Step 1 of provider sign-in: the provider's authorization URL, with state, PKCE (S256) and nonce kept by the server for 10 minutes.",
      args: (arg) => ({
        providerId: arg.string({ required: true }),
        redirectURI: arg.string({ required: true, description: "Allow-listed page the provider returns to." }),
        connect: arg.boolean({
          required: false,
          description:
            "Nhost's connect: with the signed-in user's elevated session, the flow adds the provider identity to that account; finish with thirdPartySignInUp from the same session (its session field is then null).",
        }),
        tenantId: tenantArg({ arg }),
      }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.thirdPartySignInUp) {
    const api = apis.thirdPartySignInUp;
    const Ok = results.ok<{ user: UserRow; session: SessionWithUser | null; createdNewUser: boolean; providerSession: ProviderSession | null }>(
      "ThirdPartySignInUpOk",
      (t) => ({
        user: t.field({ type: types.User, resolve: (value) => value.user }),
        session: t.field({
          type: types.Session,
          nullable: true,
          description: "The new session; null when the flow connected the provider to the signed-in user (connect): their session goes on.",
          resolve: (value) => value.session,
        }),
        createdNewUser: t.boolean({ resolve: (value) => value.createdNewUser }),
        providerSession: t.field({ type: ProviderSessionType, nullable: true, resolve: (value) => value.providerSession }),
      }),
    );
    results.mutation("thirdPartySignInUp", {
      metric: { signIn: "thirdparty" },
      ok: Ok,
      mfa: true,
      credentialCheck: true,
      errors: [
        "NO_EMAIL_GIVEN_BY_PROVIDER",
        "INVALID_STATE_ERROR",
        "FIELD_ERROR",
        "SIGN_IN_UP_NOT_ALLOWED",
        "EMAIL_NOT_VERIFIED_ERROR",
        "USER_DISABLED_ERROR",
        "INVALID_INPUT_ERROR",
        "PROVIDER_ACCOUNT_ALREADY_LINKED_ERROR",
      ],
      description:
        "Step 2: the code and state the provider sent to redirectURI (and its iss parameter when present). A connect (step 1 with connect: true) is finished here by the same session.",
      args: (arg) => ({
        providerId: arg.string({ required: true }),
        redirectURI: arg.string({ required: true }),
        code: arg.string({ required: true }),
        state: arg.string({ required: true }),
        iss: arg.string({ required: false, description: "The iss query parameter of the callback (RFC 9207), when the provider sent one." }),
        options: arg({ type: types.SignUpOptions, required: false, description: "For a new user." }),
        tenantId: tenantArg({ arg }),
      }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.signInIdToken) {
    const api = apis.signInIdToken;
    const Ok = results.ok<{ user: UserRow; session: SessionWithUser; createdNewUser: boolean }>("SignInIdTokenOk", (t) => signedInFields(t));
    results.mutation("signInIdToken", {
      metric: { signIn: "thirdparty" },
      ok: Ok,
      mfa: true,
      credentialCheck: true,
      errors: ["FIELD_ERROR", "NO_EMAIL_GIVEN_BY_PROVIDER", "SIGN_IN_UP_NOT_ALLOWED", "EMAIL_NOT_VERIFIED_ERROR", "USER_DISABLED_ERROR", "INVALID_INPUT_ERROR"],
      description:
        "Signs in with an ID token a native app got from the provider (Sign in with Apple, Google on Android/iOS, any configured OpenID Connect issuer).",
      args: (arg) => ({
        providerId: arg.string({ required: true }),
        idToken: arg.string({ required: true }),
        nonce: arg.string({ required: false, description: "The nonce the app gave the provider (raw; its SHA-256 in the token is accepted too)." }),
        options: arg({ type: types.SignUpOptions, required: false }),
        tenantId: tenantArg({ arg }),
      }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.linkIdToken) {
    const api = apis.linkIdToken;
    const Ok = results.ok<{ wasAlreadyLinked: boolean }>("LinkIdTokenOk", (t) => ({ wasAlreadyLinked: t.exposeBoolean("wasAlreadyLinked") }));
    results.mutation("linkIdToken", {
      ok: Ok,
      credentialCheck: true,
      errors: ["PROVIDER_ACCOUNT_ALREADY_LINKED_ERROR", "FIELD_ERROR", "ELEVATION_REQUIRED", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS", "INVALID_INPUT_ERROR"],
      description: "Elevated: adds the provider identity of an ID token to the signed-in user.",
      args: (arg) => ({ providerId: arg.string({ required: true }), idToken: arg.string({ required: true }), nonce: arg.string({ required: false }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.unlinkIdentity) {
    const api = apis.unlinkIdentity;
    results.mutation("unlinkIdentity", {
      ok: results.ok("UnlinkIdentityOk"),
      errors: ["UNKNOWN_IDENTITY_ERROR", "LAST_SIGN_IN_METHOD_ERROR", "ELEVATION_REQUIRED", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS"],
      description:
        "Elevated: removes a provider identity (and the provider's tokens) from the signed-in user. Never the account's last way to sign in (LastSignInMethodError).",
      args: (arg) => ({
        providerId: arg.string({ required: true }),
        providerUserId: arg.string({ required: true, description: "The provider's id of the account (LinkedIdentity.providerUserId)." }),
      }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.linkedIdentities) {
    const api = apis.linkedIdentities;
    const LinkedIdentityType = builder.objectRef<LinkedIdentity>("LinkedIdentity").implement({
      fields: (t) => ({
        providerId: t.exposeString("providerId"),
        providerUserId: t.exposeString("providerUserId", { description: "The provider's id of the account (sub)." }),
        email: t.exposeString("email", { nullable: true }),
        verified: t.exposeBoolean("verified", { description: "Whether the provider vouched for the email." }),
        createdAt: t.field({ type: "DateTime", resolve: (identity) => identity.createdAt }),
      }),
    });
    viewerList(builder, types.User, "linkedIdentities", {
      type: LinkedIdentityType,
      description: "The user's third-party identities.",
      list: (ctx) => api({}, ctx),
    });
  }

  if (apis.refreshProviderToken) {
    const api = apis.refreshProviderToken;
    const Ok = results.ok<{ providerSession: ProviderSession }>("RefreshProviderTokenOk", (t) => ({
      providerSession: t.field({ type: ProviderSessionType, resolve: (value) => value.providerSession }),
    }));
    results.mutation("refreshProviderToken", {
      ok: Ok,
      errors: ["UNAUTHORISED", "INVALID_INPUT_ERROR"],
      description: "New provider tokens from a provider refresh token (the one given, or the one kept for the user).",
      args: (arg) => ({ providerId: arg.string({ required: true }), refreshToken: arg.string({ required: false }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }
  return Provider;
}

/** authConfig.thirdPartyProviders: the providers a login screen shows, where the tenant offers provider sign-in. */
export function registerThirdPartyAuthConfig(
  builder: Builder,
  AuthConfig: AuthConfigRef,
  Provider: ObjectRef<Types, { id: string; name: string }>,
  apis: EnabledApis<ThirdPartyApis>,
): void {
  builder.objectField(AuthConfig, "thirdPartyProviders", (t) =>
    t.field({
      type: [Provider],
      resolve: async (value, _, ctx) =>
        value.offers("thirdparty") && apis.thirdPartyProviders ? apis.thirdPartyProviders({ tenantId: value.tenantId }, ctx) : [],
    }),
  );
}
