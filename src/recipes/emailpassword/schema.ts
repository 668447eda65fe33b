/** The email/password fields of API.md, each present only while its API is enabled. */
import type { Builder } from "../../schema/builder.js";
import { tenantArg, tenantOf } from "../../schema/fields.js";
import type { Results } from "../../schema/result-types.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import type { SharedTypes } from "../../accounts/schema.js";
import type { UserRow } from "../../accounts/users.js";
import type { EnabledApis } from "../override.js";
import type { EmailPasswordApis } from "./api.js";

export function registerEmailPasswordSchema(builder: Builder, results: Results, types: SharedTypes, apis: EnabledApis<EmailPasswordApis>): void {
  const { User, Session, SignUpOptions } = types;
  const FormFieldInput = builder.inputType("FormFieldInput", {
    fields: (t) => ({ id: t.string({ required: true }), value: t.string({ required: true }) }),
  });

  if (apis.signUpEmailPassword) {
    const api = apis.signUpEmailPassword;
    const Ok = results.ok<{ user: UserRow; session: SessionWithUser | null; createdNewUser: boolean }>("SignUpEmailPasswordOk", (t) => ({
      user: t.field({ type: User, resolve: (value) => value.user }),
      session: t.field({
        type: Session,
        nullable: true,
        description: "Null while email verification is required.",
        resolve: (value) => value.session,
      }),
      createdNewUser: t.exposeBoolean("createdNewUser"),
    }));
    results.mutation("signUpEmailPassword", {
      metric: { signIn: "emailpassword" },
      ok: Ok,
      mfa: true,
      errors: ["EMAIL_ALREADY_EXISTS_ERROR", "INVALID_INPUT_ERROR", "SIGN_UP_NOT_ALLOWED"],
      credentialCheck: true,
      description: "Creates a user with an email and password (and, unless email verification is required, signs them in).",
      args: (arg) => ({
        email: arg.string({ required: true }),
        password: arg.string({ required: true }),
        options: arg({ type: SignUpOptions, required: false }),
        formFields: arg({ type: [FormFieldInput], required: false }),
        tenantId: tenantArg({ arg }),
      }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.signInEmailPassword) {
    const api = apis.signInEmailPassword;
    const Ok = results.ok<{ user: UserRow; session: SessionWithUser }>("SignInEmailPasswordOk", (t) => types.signedIn(t));
    results.mutation("signInEmailPassword", {
      metric: { signIn: "emailpassword" },
      ok: Ok,
      mfa: true,
      credentialCheck: true,
      errors: ["WRONG_CREDENTIALS_ERROR", "EMAIL_NOT_VERIFIED_ERROR", "USER_DISABLED_ERROR", "LIMIT_REACHED_ERROR", "INVALID_INPUT_ERROR"],
      description: "Signs in with an email and password.",
      args: (arg) => ({ email: arg.string({ required: true }), password: arg.string({ required: true }), tenantId: tenantArg({ arg }) }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.emailExists) {
    const api = apis.emailExists;
    builder.queryField("emailExists", (t) =>
      t.boolean({
        args: { email: t.arg.string({ required: true }), tenantId: tenantArg(t) },
        resolve: (_, args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
      }),
    );
  }

  if (apis.sendPasswordResetEmail) {
    const api = apis.sendPasswordResetEmail;
    results.mutation("sendPasswordResetEmail", {
      ok: results.ok("SendPasswordResetEmailOk"),
      errors: ["INVALID_INPUT_ERROR", "LIMIT_REACHED_ERROR"],
      credentialCheck: true,
      description: "Emails a reset link when the account exists; answers OK either way.",
      args: (arg) => ({ email: arg.string({ required: true }), redirectTo: arg.string({ required: false }), tenantId: tenantArg({ arg }) }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.resetPassword) {
    const api = apis.resetPassword;
    results.mutation("resetPassword", {
      ok: results.ok("ResetPasswordOk"),
      errors: ["RESET_PASSWORD_INVALID_TOKEN_ERROR", "INVALID_INPUT_ERROR"],
      credentialCheck: true,
      description: "Sets a new password with the emailed token; every session of the user ends.",
      args: (arg) => ({ token: arg.string({ required: true }), newPassword: arg.string({ required: true }), tenantId: tenantArg({ arg }) }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.elevatePassword) {
    const api = apis.elevatePassword;
    results.mutation("elevatePassword", {
      ok: results.ok<{ elevatedUntil: Date }>("ElevatePasswordOk", (t) => ({
        elevatedUntil: t.field({ type: "DateTime", resolve: (value) => value.elevatedUntil }),
      })),
      errors: ["WRONG_CREDENTIALS_ERROR", "LIMIT_REACHED_ERROR", "ELEVATION_REQUIRED", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS"],
      credentialCheck: true,
      description:
        "Step-up: the signed-in user's password elevates this session. Users with multi-factor sign-in on step up with a second factor instead (ElevationRequiredError.factors).",
      args: (arg) => ({ password: arg.string({ required: true }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.changePassword) {
    const api = apis.changePassword;
    results.mutation("changePassword", {
      ok: results.ok("ChangePasswordOk"),
      errors: ["INVALID_INPUT_ERROR", "ELEVATION_REQUIRED", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS"],
      credentialCheck: true,
      description: "Elevated: sets a new password for the signed-in user.",
      args: (arg) => ({
        newPassword: arg.string({ required: true }),
        signOutOtherSessions: arg.boolean({ required: false, defaultValue: true, description: "End the user's other sessions (default true)." }),
      }),
      resolve: (args, ctx) => api({ newPassword: args.newPassword, signOutOtherSessions: args.signOutOtherSessions ?? true }, ctx),
    });
  }

  if (apis.changeEmail) {
    const api = apis.changeEmail;
    results.mutation("changeEmail", {
      ok: results.ok("ChangeEmailOk"),
      errors: ["EMAIL_ALREADY_EXISTS_ERROR", "INVALID_INPUT_ERROR", "ELEVATION_REQUIRED", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS", "LIMIT_REACHED_ERROR"],
      credentialCheck: true,
      description: "Elevated: sends a confirmation link to the new address; the email changes when verifyEmail spends it.",
      args: (arg) => ({ newEmail: arg.string({ required: true }), redirectTo: arg.string({ required: false }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.sendVerificationEmail) {
    const api = apis.sendVerificationEmail;
    results.mutation("sendVerificationEmail", {
      ok: results.ok("SendVerificationEmailOk"),
      errors: ["EMAIL_ALREADY_VERIFIED_ERROR", "INVALID_INPUT_ERROR", "LIMIT_REACHED_ERROR"],
      credentialCheck: true,
      description: "Emails a verification link to the account with this address (OK for unknown addresses too; EmailAlreadyVerifiedError when verified).",
      args: (arg) => ({ email: arg.string({ required: true }), redirectTo: arg.string({ required: false }), tenantId: tenantArg({ arg }) }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.verifyEmail) {
    const api = apis.verifyEmail;
    const Ok = results.ok<{ user: UserRow }>("VerifyEmailOk", (t) => ({ user: t.field({ type: User, resolve: (value) => value.user }) }));
    results.mutation("verifyEmail", {
      ok: Ok,
      errors: ["EMAIL_VERIFICATION_INVALID_TOKEN_ERROR", "EMAIL_ALREADY_EXISTS_ERROR", "INVALID_INPUT_ERROR"],
      credentialCheck: true,
      description: "Spends an emailed verification (or email-change confirmation) token.",
      args: (arg) => ({ token: arg.string({ required: true }), tenantId: tenantArg({ arg }) }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }
}
