/** The WebAuthn fields of API.md, each present only while its API is enabled. */
import type { Builder } from "../../schema/builder.js";
import { tenantArg, tenantOf } from "../../schema/fields.js";
import type { Results } from "../../schema/result-types.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import { viewerList, type SharedTypes } from "../../accounts/schema.js";
import type { UserRow } from "../../accounts/users.js";
import type { EnabledApis } from "../override.js";
import type { WebauthnApis } from "./api.js";
import type { StoredCredential } from "./service.js";

const CREDENTIAL = "The PublicKeyCredential as JSON (what @simplewebauthn/browser's startRegistration/startAuthentication return).";

export function registerWebauthnSchema(builder: Builder, results: Results, types: SharedTypes, apis: EnabledApis<WebauthnApis>): void {
  const OptionsOk = results.ok<{ options: object }>("WebauthnOptionsOk", (t) => ({
    options: t.field({
      type: "JSON",
      description: "PublicKeyCredentialCreationOptionsJSON or PublicKeyCredentialRequestOptionsJSON: pass to startRegistration/startAuthentication.",
      resolve: (value) => value.options,
    }),
  }));
  const credentialArg = (arg: any) => arg({ type: "JSON", required: true, description: CREDENTIAL });

  if (apis.webauthnSignUpOptions) {
    const api = apis.webauthnSignUpOptions;
    results.mutation("webauthnSignUpOptions", {
      ok: OptionsOk,
      errors: ["EMAIL_ALREADY_EXISTS_ERROR", "SIGN_UP_NOT_ALLOWED", "INVALID_INPUT_ERROR", "LIMIT_REACHED_ERROR"],
      description: "Step 1 of a passkey sign-up: creation options for a new user with this email.",
      args: (arg) => ({ email: arg.string({ required: true }), options: arg({ type: types.SignUpOptions, required: false }), tenantId: tenantArg({ arg }) }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.webauthnSignUp) {
    const api = apis.webauthnSignUp;
    const Ok = results.ok<{ user: UserRow; session: SessionWithUser | null }>("WebauthnSignUpOk", (t) => ({
      user: t.field({ type: types.User, resolve: (value) => value.user }),
      session: t.field({ type: types.Session, nullable: true, description: "Null while email verification is required.", resolve: (value) => value.session }),
    }));
    results.mutation("webauthnSignUp", {
      metric: { signIn: "webauthn" },
      ok: Ok,
      mfa: true,
      errors: ["INVALID_CREDENTIAL_ERROR", "INVALID_CHALLENGE_ERROR", "EMAIL_ALREADY_EXISTS_ERROR", "USER_DISABLED_ERROR", "INVALID_INPUT_ERROR"],
      description: "Step 2 of a passkey sign-up: creates the user with the new passkey and signs them in.",
      args: (arg) => ({ credential: credentialArg(arg), nickname: arg.string({ required: false }), tenantId: tenantArg({ arg }) }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.webauthnSignInOptions) {
    const api = apis.webauthnSignInOptions;
    results.mutation("webauthnSignInOptions", {
      ok: OptionsOk,
      errors: ["INVALID_INPUT_ERROR"],
      description: "Step 1 of a passkey sign-in: request options for the email's keys, or without an email for discoverable passkeys.",
      args: (arg) => ({ email: arg.string({ required: false }), tenantId: tenantArg({ arg }) }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.webauthnSignIn) {
    const api = apis.webauthnSignIn;
    const Ok = results.ok<{ user: UserRow; session: SessionWithUser }>("WebauthnSignInOk", (t) => types.signedIn(t));
    results.mutation("webauthnSignIn", {
      metric: { signIn: "webauthn" },
      ok: Ok,
      mfa: true,
      credentialCheck: true,
      errors: [
        "INVALID_CREDENTIAL_ERROR",
        "UNKNOWN_CREDENTIAL_ERROR",
        "INVALID_CHALLENGE_ERROR",
        "USER_DISABLED_ERROR",
        "EMAIL_NOT_VERIFIED_ERROR",
        "INVALID_INPUT_ERROR",
      ],
      description: "Step 2 of a passkey sign-in. With user verification the passkey counts as two factors; without it MFA applies.",
      args: (arg) => ({ credential: credentialArg(arg), tenantId: tenantArg({ arg }) }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.addSecurityKeyOptions) {
    const api = apis.addSecurityKeyOptions;
    results.mutation("addSecurityKeyOptions", {
      ok: OptionsOk,
      errors: ["UNAUTHORISED", "ELEVATION_REQUIRED", "FORBIDDEN_ANONYMOUS"],
      description: "Elevated: creation options for another passkey or security key of the signed-in user (their keys excluded).",
      resolve: (_, ctx) => api({}, ctx),
    });
  }

  if (apis.addSecurityKey) {
    const api = apis.addSecurityKey;
    const Ok = results.ok<{ id: string; nickname: string }>("AddSecurityKeyOk", (t) => ({ id: t.exposeID("id"), nickname: t.exposeString("nickname") }));
    results.mutation("addSecurityKey", {
      ok: Ok,
      errors: ["INVALID_CREDENTIAL_ERROR", "INVALID_CHALLENGE_ERROR", "UNAUTHORISED", "ELEVATION_REQUIRED", "FORBIDDEN_ANONYMOUS", "INVALID_INPUT_ERROR"],
      description: "Elevated: stores the key created from addSecurityKeyOptions.",
      args: (arg) => ({ credential: credentialArg(arg), nickname: arg.string({ required: false, description: 'Default "Passkey".' }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.securityKeys) {
    const api = apis.securityKeys;
    const SecurityKey = builder.objectRef<StoredCredential>("SecurityKey").implement({
      description: "A passkey or security key of the user.",
      fields: (t) => ({
        id: t.exposeID("id"),
        nickname: t.exposeString("nickname"),
        credentialId: t.exposeString("credentialId", { description: "The WebAuthn credential ID (base64url)." }),
        transports: t.exposeStringList("transports"),
        deviceType: t.exposeString("deviceType", { description: '"multiDevice" (synced passkey) or "singleDevice".' }),
        backedUp: t.exposeBoolean("backedUp"),
        createdAt: t.field({ type: "DateTime", resolve: (key) => key.createdAt }),
        lastUsedAt: t.field({ type: "DateTime", nullable: true, resolve: (key) => key.lastUsedAt }),
      }),
    });
    viewerList(builder, types.User, "securityKeys", { type: SecurityKey, description: "The user's passkeys and security keys.", list: (ctx) => api({}, ctx) });
  }

  if (apis.removeSecurityKey) {
    const api = apis.removeSecurityKey;
    const Ok = results.ok<{ didExist: boolean }>("RemoveSecurityKeyOk", (t) => ({ didExist: t.exposeBoolean("didExist") }));
    results.mutation("removeSecurityKey", {
      ok: Ok,
      errors: ["UNAUTHORISED", "ELEVATION_REQUIRED"],
      description: "Elevated: removes one of the signed-in user's keys.",
      args: (arg) => ({ id: arg.id({ required: true }) }),
      resolve: (args, ctx) => api({ id: String(args.id) }, ctx),
    });
  }

  if (apis.elevateWebauthnOptions) {
    const api = apis.elevateWebauthnOptions;
    results.mutation("elevateWebauthnOptions", {
      ok: OptionsOk,
      errors: ["UNAUTHORISED", "UNKNOWN_CREDENTIAL_ERROR", "ELEVATION_REQUIRED"],
      description: "Step 1 of step-up: request options for the signed-in user's keys.",
      resolve: (_, ctx) => api({}, ctx),
    });
  }

  if (apis.elevateWebauthn) {
    const api = apis.elevateWebauthn;
    const Ok = results.ok<{ session: SessionWithUser }>("ElevateOk", (t) => ({
      session: t.field({
        type: types.Session,
        description: "A fresh session, authenticated now; it replaces the one that asked.",
        resolve: (value) => value.session,
      }),
    }));
    results.mutation("elevateWebauthn", {
      ok: Ok,
      credentialCheck: true,
      errors: ["INVALID_CREDENTIAL_ERROR", "UNKNOWN_CREDENTIAL_ERROR", "INVALID_CHALLENGE_ERROR", "UNAUTHORISED", "INVALID_INPUT_ERROR", "ELEVATION_REQUIRED"],
      description: "Step 2 of step-up: a fresh assertion makes the session elevated.",
      args: (arg) => ({ credential: credentialArg(arg) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.verifySignInMfaWebauthnOptions) {
    const api = apis.verifySignInMfaWebauthnOptions;
    results.mutation("verifySignInMfaWebauthnOptions", {
      ok: OptionsOk,
      errors: ["INVALID_TICKET_ERROR", "UNKNOWN_CREDENTIAL_ERROR"],
      description: "Step 1 of a passkey or security key as the second factor: request options for MfaRequired's ticket.",
      args: (arg) => ({ ticket: arg.string({ required: true }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.verifySignInMfaWebauthn) {
    const api = apis.verifySignInMfaWebauthn;
    results.mutation("verifySignInMfaWebauthn", {
      metric: { mfaFactor: "webauthn" },
      ok: results.ok<{ user: UserRow; session: SessionWithUser }>("VerifySignInMfaWebauthnOk", (t) => types.signedIn(t)),
      credentialCheck: true,
      errors: [
        "INVALID_TICKET_ERROR",
        "INVALID_CREDENTIAL_ERROR",
        "UNKNOWN_CREDENTIAL_ERROR",
        "INVALID_CHALLENGE_ERROR",
        "LIMIT_REACHED_ERROR",
        "INVALID_INPUT_ERROR",
      ],
      description: "Step 2: the assertion finishes the sign-in that answered MfaRequired.",
      args: (arg) => ({ ticket: arg.string({ required: true }), credential: credentialArg(arg) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }
}
