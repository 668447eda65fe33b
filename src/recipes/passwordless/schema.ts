/** The passwordless fields of API.md, each present only while its API is enabled. */
import { PASSWORDLESS_FLOW_TYPES } from "../../config.js";
import type { AuthConfigRef } from "../../schema/auth-config.js";
import type { FactorEnums } from "../../schema/enums.js";
import type { Builder } from "../../schema/builder.js";
import { tenantArg, tenantOf } from "../../schema/fields.js";
import type { Results } from "../../schema/result-types.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import type { SharedTypes } from "../../accounts/schema.js";
import type { UserRow } from "../../accounts/users.js";
import type { EnabledApis } from "../override.js";
import type { PasswordlessApis } from "./api.js";

export function registerPasswordlessSchema(
  builder: Builder,
  results: Results,
  types: SharedTypes,
  enums: FactorEnums,
  apis: EnabledApis<PasswordlessApis>,
): void {
  const FlowType = builder.enumType("PasswordlessFlowType", {
    description: "What a passwordless sign-in sends: a code to type, a magic link, or both.",
    values: PASSWORDLESS_FLOW_TYPES,
  });

  /** What shouldTryLinkingWithSessionUser may answer besides a sign-in's statuses. */
  const LINKING_ERRORS = ["EMAIL_ALREADY_EXISTS_ERROR", "UNAUTHORISED", "FORBIDDEN_ANONYMOUS", "ELEVATION_REQUIRED"] as const;
  const linkingArg = (arg: any) =>
    arg.boolean({
      required: false,
      description:
        "With the signed-in user's elevated session (Bearer token): the code adds its address to that account (as its email or phone, verified, with a passwordless login method) instead of signing in. Give it to createCode and consumeCode alike.",
    });
  /** Both argument forms at once: refused, naming the @oneOf argument. */
  const bothForms = (id: string) => ({
    status: "INVALID_INPUT_ERROR" as const,
    fieldErrors: [{ id, error: `give ${id}, or the separate arguments, not both` }],
  });

  if (apis.createCode) {
    const api = apis.createCode;
    const CodeDestination = builder.inputType("CodeDestination", {
      description: "Where a passwordless code goes: exactly one of email or phoneNumber.",
      isOneOf: true,
      fields: (t) => ({ email: t.string(), phoneNumber: t.string({ description: "International format, e.g. +14155550123." }) }),
    });
    const Ok = results.ok<{ deviceId: string; preAuthSessionId: string; flowType: string }>("CreateCodeOk", (t) => ({
      deviceId: t.exposeString("deviceId", { description: "Keep it on the device: consumeCode and resendCode need it." }),
      preAuthSessionId: t.exposeString("preAuthSessionId"),
      flowType: t.field({ type: FlowType, resolve: (value) => value.flowType as never }),
    }));
    results.mutation("createCode", {
      ok: Ok,
      errors: ["SIGN_IN_UP_NOT_ALLOWED", "INVALID_INPUT_ERROR", "LIMIT_REACHED_ERROR", ...LINKING_ERRORS],
      credentialCheck: true,
      description:
        "Starts a passwordless sign-in (or sign-up): sends a code and/or magic link to exactly one address, given as `to` (@oneOf) or as email or phoneNumber.",
      args: (arg) => ({
        to: arg({ type: CodeDestination, required: false, description: "The address, as a @oneOf input (codegen types it as one or the other)." }),
        email: arg.string({ required: false }),
        phoneNumber: arg.string({ required: false, description: "International format, e.g. +14155550123." }),
        options: arg({ type: types.SignUpOptions, required: false }),
        shouldTryLinkingWithSessionUser: linkingArg(arg),
        tenantId: tenantArg({ arg }),
      }),
      resolve: async ({ to, ...args }, ctx) => {
        if (to && (args.email != null || args.phoneNumber != null)) return bothForms("to");
        return api({ ...args, email: to?.email ?? args.email, phoneNumber: to?.phoneNumber ?? args.phoneNumber, tenantId: tenantOf(args) }, ctx);
      },
    });
  }

  if (apis.resendCode) {
    const api = apis.resendCode;
    results.mutation("resendCode", {
      ok: results.ok("ResendCodeOk"),
      errors: ["RESTART_FLOW_ERROR", "LIMIT_REACHED_ERROR"],
      credentialCheck: true,
      description: "Sends a new code for the same sign-in; earlier codes keep working until they expire.",
      args: (arg) => ({ deviceId: arg.string({ required: true }), preAuthSessionId: arg.string({ required: true }), tenantId: tenantArg({ arg }) }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.consumeCode) {
    const api = apis.consumeCode;
    const TypedCode = builder.inputType("TypedCode", {
      description: "The code the user typed, with the device that asked for it.",
      fields: (t) => ({ deviceId: t.string({ required: true }), userInputCode: t.string({ required: true }) }),
    });
    const CodeProof = builder.inputType("CodeProof", {
      description: "How a passwordless sign-in is finished: exactly one of a typed code or the magic link's linkCode.",
      isOneOf: true,
      fields: (t) => ({ code: t.field({ type: TypedCode }), linkCode: t.string() }),
    });
    const Ok = results.ok<{ createdNewRecipeUser: boolean; user: UserRow; session: SessionWithUser | null }>("ConsumeCodeOk", (t) => ({
      createdNewRecipeUser: t.exposeBoolean("createdNewRecipeUser"),
      user: t.field({ type: types.User, resolve: (value) => value.user }),
      session: t.field({
        type: types.Session,
        nullable: true,
        description: "The new session; null when the code added its address to the signed-in user (shouldTryLinkingWithSessionUser): their session goes on.",
        resolve: (value) => value.session,
      }),
    }));
    results.mutation("consumeCode", {
      metric: { signIn: "passwordless" },
      ok: Ok,
      mfa: true,
      credentialCheck: true,
      errors: [
        "INCORRECT_USER_INPUT_CODE_ERROR",
        "EXPIRED_USER_INPUT_CODE_ERROR",
        "RESTART_FLOW_ERROR",
        "SIGN_IN_UP_NOT_ALLOWED",
        "INVALID_INPUT_ERROR",
        "LIMIT_REACHED_ERROR",
        ...LINKING_ERRORS,
      ],
      description:
        "Finishes a passwordless sign-in with a typed code or the magic link's linkCode, given as `proof` (@oneOf) or as deviceId + userInputCode, or linkCode.",
      args: (arg) => ({
        preAuthSessionId: arg.string({ required: true }),
        proof: arg({ type: CodeProof, required: false, description: "The code or the link, as a @oneOf input." }),
        shouldTryLinkingWithSessionUser: linkingArg(arg),
        deviceId: arg.string({ required: false }),
        userInputCode: arg.string({ required: false }),
        linkCode: arg.string({ required: false }),
        tenantId: tenantArg({ arg }),
      }),
      resolve: async ({ proof, ...args }, ctx) => {
        if (proof && (args.deviceId != null || args.userInputCode != null || args.linkCode != null)) return bothForms("proof");
        return api(
          {
            ...args,
            deviceId: proof?.code?.deviceId ?? args.deviceId,
            userInputCode: proof?.code?.userInputCode ?? args.userInputCode,
            linkCode: proof?.linkCode ?? args.linkCode,
            tenantId: tenantOf(args),
          },
          ctx,
        );
      },
    });
  }

  const CodeSent = (name: string) =>
    results.ok<{ factor: string; destination: string }>(name, (t) => ({
      factor: t.field({ type: enums.AuthFactor, resolve: (value) => value.factor as never }),
      destination: t.exposeString("destination", { description: 'Where the code went, masked ("a***@example.com").' }),
    }));
  const factorArg = (arg: any) =>
    arg({ type: enums.AuthFactor, required: true, description: "emailCode (the verified email) or smsCode (the verified phone number)." });

  if (apis.sendSignInMfaCode) {
    const api = apis.sendSignInMfaCode;
    results.mutation("sendSignInMfaCode", {
      ok: CodeSent("SendSignInMfaCodeOk"),
      errors: ["INVALID_TICKET_ERROR", "INVALID_INPUT_ERROR", "LIMIT_REACHED_ERROR", "RESTART_FLOW_ERROR"],
      description: "Sends a one-time code to the verified email or phone of the user MfaRequired's ticket stands for; verifySignInMfaCode finishes.",
      args: (arg) => ({ ticket: arg.string({ required: true }), factor: factorArg(arg) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.verifySignInMfaCode) {
    const api = apis.verifySignInMfaCode;
    results.mutation("verifySignInMfaCode", {
      metric: { mfaFactor: "code" },
      ok: results.ok<{ user: UserRow; session: SessionWithUser }>("VerifySignInMfaCodeOk", (t) => types.signedIn(t)),
      errors: ["INVALID_TICKET_ERROR", "INCORRECT_USER_INPUT_CODE_ERROR", "EXPIRED_USER_INPUT_CODE_ERROR", "RESTART_FLOW_ERROR", "LIMIT_REACHED_ERROR"],
      credentialCheck: true,
      description: "Finishes a sign-in that answered MfaRequired with the code sendSignInMfaCode sent (single use).",
      args: (arg) => ({ ticket: arg.string({ required: true }), code: arg.string({ required: true }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.sendElevationCode) {
    const api = apis.sendElevationCode;
    results.mutation("sendElevationCode", {
      ok: CodeSent("SendElevationCodeOk"),
      errors: ["UNAUTHORISED", "FORBIDDEN_ANONYMOUS", "ELEVATION_REQUIRED", "INVALID_INPUT_ERROR", "LIMIT_REACHED_ERROR", "RESTART_FLOW_ERROR"],
      description:
        "Step-up, step 1: sends a one-time code to the signed-in user's verified email or phone (ElevationRequiredError.factors says which the session may use).",
      args: (arg) => ({ factor: factorArg(arg) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.elevateWithCode) {
    const api = apis.elevateWithCode;
    results.mutation("elevateWithCode", {
      ok: results.ok<{ elevatedUntil: Date }>("ElevateWithCodeOk", (t) => ({
        elevatedUntil: t.field({ type: "DateTime", resolve: (value) => value.elevatedUntil }),
      })),
      errors: [
        "UNAUTHORISED",
        "FORBIDDEN_ANONYMOUS",
        "ELEVATION_REQUIRED",
        "INCORRECT_USER_INPUT_CODE_ERROR",
        "EXPIRED_USER_INPUT_CODE_ERROR",
        "RESTART_FLOW_ERROR",
        "LIMIT_REACHED_ERROR",
      ],
      credentialCheck: true,
      description: "Step-up, step 2: the code sendElevationCode sent elevates this session.",
      args: (arg) => ({ code: arg.string({ required: true }) }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }

  if (apis.phoneNumberExists) {
    const api = apis.phoneNumberExists;
    builder.queryField("phoneNumberExists", (t) =>
      t.boolean({
        args: { phoneNumber: t.arg.string({ required: true }), tenantId: tenantArg(t) },
        resolve: (_, args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
      }),
    );
  }
}

/** authConfig.passwordless: the flow a login screen offers, where the tenant offers passwordless sign-in. */
export function registerPasswordlessAuthConfig(builder: Builder, AuthConfig: AuthConfigRef, apis: EnabledApis<PasswordlessApis>): void {
  const PasswordlessConfig = builder.objectRef<{ flowType: string; codeLength: number }>("PasswordlessConfig").implement({
    fields: (t) => ({
      flowType: t.exposeString("flowType", { description: "USER_INPUT_CODE, MAGIC_LINK or USER_INPUT_CODE_AND_MAGIC_LINK." }),
      codeLength: t.exposeInt("codeLength"),
    }),
  });
  builder.objectField(AuthConfig, "passwordless", (t) =>
    t.field({
      type: PasswordlessConfig,
      nullable: true,
      resolve: (value, _, ctx) => {
        const { flowType, codeLength } = ctx.deps.config.passwordless;
        return value.offers("passwordless") && apis.createCode ? { flowType, codeLength } : null;
      },
    }),
  );
}
