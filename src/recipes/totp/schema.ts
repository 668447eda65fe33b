/** The TOTP fields of API.md, each present only while its API is enabled. */
import type { Builder } from "../../schema/builder.js";
import type { Results } from "../../schema/result-types.js";
import type { EnabledApis } from "../override.js";
import type { TotpApis } from "./api.js";
import type { TotpDeviceInfo } from "./service.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import { viewerList, type SharedTypes } from "../../accounts/schema.js";
import type { UserRow } from "../../accounts/users.js";

export function registerTotpSchema(builder: Builder, results: Results, types: SharedTypes, apis: EnabledApis<TotpApis>): void {
  const signedIn = (name: string) => results.ok<{ user: UserRow; session: SessionWithUser }>(name, (t) => types.signedIn(t));

  if (apis.verifySignInMfaTotp) {
    const api = apis.verifySignInMfaTotp;
    results.mutation("verifySignInMfaTotp", {
      metric: { mfaFactor: "totp" },
      ok: signedIn("VerifySignInMfaTotpOk"),
      errors: ["INVALID_TICKET_ERROR", "INVALID_TOTP_ERROR", "LIMIT_REACHED_ERROR"],
      credentialCheck: true,
      description: "Finishes a sign-in that answered MfaRequired: the ticket and a code from a verified device.",
      args: (arg) => ({ ticket: arg.string({ required: true }), totp: arg.string({ required: true }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.generateRecoveryCodes) {
    const api = apis.generateRecoveryCodes;
    const Ok = results.ok<{ codes: string[] }>("GenerateRecoveryCodesOk", (t) => ({
      codes: t.exposeStringList("codes", { description: "Ten single-use codes: show them once; earlier codes stop working." }),
    }));
    results.mutation("generateRecoveryCodes", {
      ok: Ok,
      errors: ["ELEVATION_REQUIRED", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS"],
      description: "Elevated: a new set of recovery codes.",
      resolve: (_, ctx) => api({}, ctx),
    });
  }

  if (apis.verifySignInMfaRecoveryCode) {
    const api = apis.verifySignInMfaRecoveryCode;
    results.mutation("verifySignInMfaRecoveryCode", {
      metric: { mfaFactor: "recoveryCode" },
      ok: signedIn("VerifySignInMfaRecoveryCodeOk"),
      errors: ["INVALID_TICKET_ERROR", "INVALID_RECOVERY_CODE_ERROR", "LIMIT_REACHED_ERROR"],
      credentialCheck: true,
      description: "Finishes a sign-in that answered MfaRequired with one of the user's recovery codes (each works once).",
      args: (arg) => ({ ticket: arg.string({ required: true }), code: arg.string({ required: true }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.createTotpDevice) {
    const api = apis.createTotpDevice;
    const Ok = results.ok<{ deviceName: string; qrCodeString: string; secret: string }>("CreateTotpDeviceOk", (t) => ({
      deviceName: t.exposeString("deviceName"),
      qrCodeString: t.exposeString("qrCodeString", { description: "otpauth:// URI to show as a QR code." }),
      secret: t.exposeString("secret", { description: "The base32 secret, for typing into an authenticator by hand." }),
    }));
    results.mutation("createTotpDevice", {
      ok: Ok,
      errors: ["DEVICE_ALREADY_EXISTS_ERROR", "INVALID_INPUT_ERROR", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS", "ELEVATION_REQUIRED", "INVALID_TICKET_ERROR"],
      description:
        "Elevated: adds an (unverified) TOTP device to the signed-in user; verifyTotpDevice activates it. With the ticket of MfaEnrolmentRequired instead of a session, adds it to the user signing in.",
      args: (arg) => ({
        deviceName: arg.string({ required: false, description: 'Default "TOTP Device 0", "TOTP Device 1", ...' }),
        ticket: arg.string({ required: false, description: "MfaEnrolmentRequired's ticket, when enrolling before the first session." }),
      }),
      resolve: (args, ctx) => api(args, ctx),
    });
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

  if (apis.recoveryCodesRemaining) {
    const api = apis.recoveryCodesRemaining;
    builder.objectField(types.User, "recoveryCodesRemaining", (t) =>
      t.int({
        nullable: true,
        description: "Unspent recovery codes; only for the signed-in user's own record (null otherwise).",
        resolve: (user, _, ctx) => api({ userId: user.id }, ctx),
      }),
    );
  }

  if (apis.removeTotpDevice) {
    const api = apis.removeTotpDevice;
    results.mutation("removeTotpDevice", {
      ok: results.ok<{ didDeviceExist: boolean }>("RemoveTotpDeviceOk", (t) => ({ didDeviceExist: t.exposeBoolean("didDeviceExist") })),
      errors: ["ELEVATION_REQUIRED", "UNAUTHORISED"],
      description: "Elevated: removes a TOTP device (removing the last verified one turns MFA off).",
      args: (arg) => ({ deviceName: arg.string({ required: true }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.verifyTotpDevice) {
    const api = apis.verifyTotpDevice;
    results.mutation("verifyTotpDevice", {
      ok: results.ok<{ wasAlreadyVerified: boolean; session: SessionWithUser | null }>("VerifyTotpDeviceOk", (t) => ({
        wasAlreadyVerified: t.exposeBoolean("wasAlreadyVerified"),
        session: t.field({
          type: types.Session,
          nullable: true,
          description: "The session of the sign-in this device finished (enrolling with a ticket); null otherwise.",
          resolve: (value) => value.session,
        }),
      })),
      errors: [
        "UNKNOWN_DEVICE_ERROR",
        "INVALID_TOTP_ERROR",
        "LIMIT_REACHED_ERROR",
        "UNAUTHORISED",
        "FORBIDDEN_ANONYMOUS",
        "ELEVATION_REQUIRED",
        "INVALID_TICKET_ERROR",
      ],
      credentialCheck: true,
      description:
        "Elevated: proves a device with one of its codes; a verified device makes sign-ins ask for a code. With MfaEnrolmentRequired's ticket, also finishes that sign-in (`session`).",
      args: (arg) => ({
        deviceName: arg.string({ required: true }),
        totp: arg.string({ required: true }),
        ticket: arg.string({ required: false, description: "MfaEnrolmentRequired's ticket, when enrolling before the first session." }),
      }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.verifyTotp) {
    const api = apis.verifyTotp;
    results.mutation("verifyTotp", {
      ok: results.ok("VerifyTotpOk"),
      errors: ["UNKNOWN_USER_ID_ERROR", "INVALID_TOTP_ERROR", "LIMIT_REACHED_ERROR", "UNAUTHORISED", "ELEVATION_REQUIRED"],
      credentialCheck: true,
      description: "Checks a code from any of the user's verified devices; success elevates the session.",
      args: (arg) => ({ totp: arg.string({ required: true }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }
}
