/** The email/password fields of API.md, each present only while its API is enabled. */
import type { Builder } from "../../schema/builder.js";
import { CREDENTIAL_CHECK, tenantArg, tenantOf } from "../../schema/fields.js";
import type { Results } from "../../schema/result-types.js";
import { toResult } from "../../schema/results.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import type { SharedTypes } from "../../users/schema.js";
import type { UserRow } from "../../users/users.js";
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
    const Result = results.union("SignUpEmailPasswordResult", Ok, ["EMAIL_ALREADY_EXISTS_ERROR", "INVALID_INPUT_ERROR", "SIGN_UP_NOT_ALLOWED"]);
    builder.mutationField("signUpEmailPassword", (t) =>
      t.field({
        type: Result,
        extensions: CREDENTIAL_CHECK,
        args: {
          email: t.arg.string({ required: true }),
          password: t.arg.string({ required: true }),
          options: t.arg({ type: SignUpOptions, required: false }),
          formFields: t.arg({ type: [FormFieldInput], required: false }),
          tenantId: tenantArg(t),
        },
        resolve: async (_, args, ctx) => toResult(await api({ ...args, tenantId: tenantOf(args) }, ctx)) as never,
      }),
    );
  }

  if (apis.signInEmailPassword) {
    const api = apis.signInEmailPassword;
    const Ok = results.ok<{ user: UserRow; session: SessionWithUser }>("SignInEmailPasswordOk", (t) => types.signedIn(t));
    const Result = results.union("SignInEmailPasswordResult", Ok, [
      "WRONG_CREDENTIALS_ERROR",
      "EMAIL_NOT_VERIFIED_ERROR",
      "USER_DISABLED_ERROR",
      "LIMIT_REACHED_ERROR",
      "INVALID_INPUT_ERROR",
    ], { mfa: true });
    builder.mutationField("signInEmailPassword", (t) =>
      t.field({
        type: Result,
        extensions: CREDENTIAL_CHECK,
        args: { email: t.arg.string({ required: true }), password: t.arg.string({ required: true }), tenantId: tenantArg(t) },
        resolve: async (_, args, ctx) => toResult(await api({ ...args, tenantId: tenantOf(args) }, ctx)) as never,
      }),
    );
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
    const Result = results.union("SendPasswordResetEmailResult", results.ok("SendPasswordResetEmailOk"), ["INVALID_INPUT_ERROR"]);
    builder.mutationField("sendPasswordResetEmail", (t) =>
      t.field({
        type: Result,
        description: "Emails a reset link when the account exists; answers OK either way.",
        args: { email: t.arg.string({ required: true }), redirectTo: t.arg.string({ required: false }), tenantId: tenantArg(t) },
        resolve: async (_, args, ctx) => toResult(await api({ ...args, tenantId: tenantOf(args) }, ctx)) as never,
      }),
    );
  }

  if (apis.resetPassword) {
    const api = apis.resetPassword;
    const Result = results.union("ResetPasswordResult", results.ok("ResetPasswordOk"), ["RESET_PASSWORD_INVALID_TOKEN_ERROR", "INVALID_INPUT_ERROR"]);
    builder.mutationField("resetPassword", (t) =>
      t.field({
        type: Result,
        description: "Sets a new password with the emailed token; every session of the user ends.",
        extensions: CREDENTIAL_CHECK,
        args: { token: t.arg.string({ required: true }), newPassword: t.arg.string({ required: true }), tenantId: tenantArg(t) },
        resolve: async (_, args, ctx) => toResult(await api({ ...args, tenantId: tenantOf(args) }, ctx)) as never,
      }),
    );
  }

  if (apis.changePassword) {
    const api = apis.changePassword;
    const Result = results.union("ChangePasswordResult", results.ok("ChangePasswordOk"), ["INVALID_INPUT_ERROR", "ELEVATION_REQUIRED", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS"]);
    builder.mutationField("changePassword", (t) =>
      t.field({
        type: Result,
        description: "Elevated: sets a new password for the signed-in user.",
        extensions: CREDENTIAL_CHECK,
        args: {
          newPassword: t.arg.string({ required: true }),
          signOutOtherSessions: t.arg.boolean({ required: false, defaultValue: true, description: "End the user's other sessions (default true)." }),
        },
        resolve: async (_, args, ctx) =>
          toResult(await api({ newPassword: args.newPassword, signOutOtherSessions: args.signOutOtherSessions ?? true }, ctx)) as never,
      }),
    );
  }

  if (apis.changeEmail) {
    const api = apis.changeEmail;
    const Result = results.union("ChangeEmailResult", results.ok("ChangeEmailOk"), [
      "EMAIL_ALREADY_EXISTS_ERROR",
      "INVALID_INPUT_ERROR",
      "ELEVATION_REQUIRED",
      "UNAUTHORISED",
      "FORBIDDEN_ANONYMOUS",
    ]);
    builder.mutationField("changeEmail", (t) =>
      t.field({
        type: Result,
        description: "Elevated: sends a confirmation link to the new address; the email changes when verifyEmail spends it.",
        args: { newEmail: t.arg.string({ required: true }), redirectTo: t.arg.string({ required: false }) },
        resolve: async (_, args, ctx) => toResult(await api(args, ctx)) as never,
      }),
    );
  }

  if (apis.sendVerificationEmail) {
    const api = apis.sendVerificationEmail;
    const Result = results.union("SendVerificationEmailResult", results.ok("SendVerificationEmailOk"), ["EMAIL_ALREADY_VERIFIED_ERROR", "INVALID_INPUT_ERROR"]);
    builder.mutationField("sendVerificationEmail", (t) =>
      t.field({
        type: Result,
        args: { email: t.arg.string({ required: true }), redirectTo: t.arg.string({ required: false }), tenantId: tenantArg(t) },
        resolve: async (_, args, ctx) => toResult(await api({ ...args, tenantId: tenantOf(args) }, ctx)) as never,
      }),
    );
  }

  if (apis.verifyEmail) {
    const api = apis.verifyEmail;
    const Ok = results.ok<{ user: UserRow }>("VerifyEmailOk", (t) => ({ user: t.field({ type: User, resolve: (value) => value.user }) }));
    const Result = results.union("VerifyEmailResult", Ok, ["EMAIL_VERIFICATION_INVALID_TOKEN_ERROR", "EMAIL_ALREADY_EXISTS_ERROR", "INVALID_INPUT_ERROR"]);
    builder.mutationField("verifyEmail", (t) =>
      t.field({
        type: Result,
        description: "Spends an emailed verification (or email-change confirmation) token.",
        extensions: CREDENTIAL_CHECK,
        args: { token: t.arg.string({ required: true }), tenantId: tenantArg(t) },
        resolve: async (_, args, ctx) => toResult(await api({ ...args, tenantId: tenantOf(args) }, ctx)) as never,
      }),
    );
  }
}
