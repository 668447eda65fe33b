/** The TOTP fields of API.md, each present only while its API is enabled. */
import type { Builder } from "../../schema/builder.js";
import { CREDENTIAL_CHECK } from "../../schema/fields.js";
import type { Results } from "../../schema/result-types.js";
import { toResult } from "../../schema/results.js";
import type { EnabledApis } from "../override.js";
import type { TotpApis } from "./api.js";
import type { TotpDeviceInfo } from "./service.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import { viewerList, type SharedTypes } from "../../users/schema.js";
import type { UserRow } from "../../users/users.js";

export function registerTotpSchema(builder: Builder, results: Results, types: SharedTypes, apis: EnabledApis<TotpApis>): void {
  if (apis.verifySignInMfaTotp) {
    const api = apis.verifySignInMfaTotp;
    const Ok = results.ok<{ user: UserRow; session: SessionWithUser }>("VerifySignInMfaTotpOk", (t) => types.signedIn(t));
    const Result = results.union("VerifySignInMfaTotpResult", Ok, ["INVALID_TICKET_ERROR", "INVALID_TOTP_ERROR", "LIMIT_REACHED_ERROR"]);
    builder.mutationField("verifySignInMfaTotp", (t) =>
      t.field({
        type: Result,
        description: "Finishes a sign-in that answered MfaRequired: the ticket and a code from a verified device.",
        extensions: CREDENTIAL_CHECK,
        args: { ticket: t.arg.string({ required: true }), totp: t.arg.string({ required: true }) },
        resolve: async (_, args, ctx) => toResult(await api(args, ctx)) as never,
      }),
    );
  }

  if (apis.generateRecoveryCodes) {
    const api = apis.generateRecoveryCodes;
    const Ok = results.ok<{ codes: string[] }>("GenerateRecoveryCodesOk", (t) => ({
      codes: t.exposeStringList("codes", { description: "Ten single-use codes: show them once; earlier codes stop working." }),
    }));
    const Result = results.union("GenerateRecoveryCodesResult", Ok, ["ELEVATION_REQUIRED", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS"]);
    builder.mutationField("generateRecoveryCodes", (t) =>
      t.field({ type: Result, description: "Elevated: a new set of recovery codes.", resolve: async (_, __, ctx) => toResult(await api({}, ctx)) as never }),
    );
  }

  if (apis.verifySignInMfaRecoveryCode) {
    const api = apis.verifySignInMfaRecoveryCode;
    const Ok = results.ok<{ user: UserRow; session: SessionWithUser }>("VerifySignInMfaRecoveryCodeOk", (t) => types.signedIn(t));
    const Result = results.union("VerifySignInMfaRecoveryCodeResult", Ok, ["INVALID_TICKET_ERROR", "INVALID_RECOVERY_CODE_ERROR", "LIMIT_REACHED_ERROR"]);
    builder.mutationField("verifySignInMfaRecoveryCode", (t) =>
      t.field({
        type: Result,
        description: "Finishes a sign-in that answered MfaRequired with one of the user's recovery codes (each works once).",
        extensions: CREDENTIAL_CHECK,
        args: { ticket: t.arg.string({ required: true }), code: t.arg.string({ required: true }) },
        resolve: async (_, args, ctx) => toResult(await api(args, ctx)) as never,
      }),
    );
  }

  if (apis.createTotpDevice) {
    const api = apis.createTotpDevice;
    const Ok = results.ok<{ deviceName: string; qrCodeString: string; secret: string }>("CreateTotpDeviceOk", (t) => ({
      deviceName: t.exposeString("deviceName"),
      qrCodeString: t.exposeString("qrCodeString", { description: "otpauth:// URI to show as a QR code." }),
      secret: t.exposeString("secret", { description: "The base32 secret, for typing into an authenticator by hand." }),
    }));
    const Result = results.union("CreateTotpDeviceResult", Ok, ["DEVICE_ALREADY_EXISTS_ERROR", "INVALID_INPUT_ERROR", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS"]);
    builder.mutationField("createTotpDevice", (t) =>
      t.field({
        type: Result,
        description: "Adds an (unverified) TOTP device to the signed-in user; verifyTotpDevice activates it.",
        args: { deviceName: t.arg.string({ required: false, description: 'Default "TOTP Device 0", "TOTP Device 1", ...' }) },
        resolve: async (_, args, ctx) => toResult(await api(args, ctx)) as never,
      }),
    );
  }

  if (apis.totpDevices) {
    const api = apis.totpDevices;
    const TotpDevice = builder.objectRef<TotpDeviceInfo>("TotpDevice").implement({
      fields: (t) => ({
        name: t.exposeString("name"),
        period: t.exposeInt("period"),
        skew: t.exposeInt("skew"),
        verified: t.exposeBoolean("verified"),
      }),
    });
    viewerList(builder, types.User, "totpDevices", { type: TotpDevice, description: "The user's TOTP devices.", list: (ctx) => api({}, ctx) });
  }

  if (apis.removeTotpDevice) {
    const api = apis.removeTotpDevice;
    const Ok = results.ok<{ didDeviceExist: boolean }>("RemoveTotpDeviceOk", (t) => ({ didDeviceExist: t.exposeBoolean("didDeviceExist") }));
    const Result = results.union("RemoveTotpDeviceResult", Ok, ["ELEVATION_REQUIRED", "UNAUTHORISED"]);
    builder.mutationField("removeTotpDevice", (t) =>
      t.field({
        type: Result,
        description: "Elevated: removes a TOTP device (removing the last verified one turns MFA off).",
        args: { deviceName: t.arg.string({ required: true }) },
        resolve: async (_, args, ctx) => toResult(await api(args, ctx)) as never,
      }),
    );
  }

  if (apis.verifyTotpDevice) {
    const api = apis.verifyTotpDevice;
    const Ok = results.ok<{ wasAlreadyVerified: boolean }>("VerifyTotpDeviceOk", (t) => ({ wasAlreadyVerified: t.exposeBoolean("wasAlreadyVerified") }));
    const Result = results.union("VerifyTotpDeviceResult", Ok, ["UNKNOWN_DEVICE_ERROR", "INVALID_TOTP_ERROR", "LIMIT_REACHED_ERROR", "UNAUTHORISED"]);
    builder.mutationField("verifyTotpDevice", (t) =>
      t.field({
        type: Result,
        description: "Proves a device with one of its codes; a verified device makes sign-ins ask for a code.",
        extensions: CREDENTIAL_CHECK,
        args: { deviceName: t.arg.string({ required: true }), totp: t.arg.string({ required: true }) },
        resolve: async (_, args, ctx) => toResult(await api(args, ctx)) as never,
      }),
    );
  }

  if (apis.verifyTotp) {
    const api = apis.verifyTotp;
    const Result = results.union("VerifyTotpResult", results.ok("VerifyTotpOk"), ["UNKNOWN_USER_ID_ERROR", "INVALID_TOTP_ERROR", "LIMIT_REACHED_ERROR", "UNAUTHORISED"]);
    builder.mutationField("verifyTotp", (t) =>
      t.field({
        type: Result,
        description: "Checks a code from any of the user's verified devices; success elevates the session.",
        extensions: CREDENTIAL_CHECK,
        args: { totp: t.arg.string({ required: true }) },
        resolve: async (_, args, ctx) => toResult(await api(args, ctx)) as never,
      }),
    );
  }
}
