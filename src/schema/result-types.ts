/** Registers API.md's result conventions on a builder (see results.ts for the model). */
import { noteOutcome } from "../observability/request-log.js";
import { queueCookie, refreshCookie } from "../sessions/cookies.js";
import type { ArgBuilder, ObjectRef } from "@pothos/core";
import type { Context } from "../context.js";
import type { Builder, Types } from "./builder.js";
import { CREDENTIAL_CHECK } from "./fields.js";
import type { FactorEnums } from "./enums.js";
import {
  AuthFailure,
  ERROR_STATUSES,
  FAILURE_CLASSES,
  type InvalidInputError,
  PROGRESS_STATUSES,
  errorTypeName,
  toResult,
  type ErrorFieldType,
  type ErrorStatus,
} from "../results.js";

type OkFields<T> = (t: PothosSchemaTypes.ObjectFieldBuilder<Types, T>) => Record<string, PothosSchemaTypes.FieldRef<Types, unknown>>;

export interface Results {
  /** Declares `<name>` (an OK member) implementing AuthResult. */
  ok<T extends object>(name: string, fields?: OkFields<T & { status: "OK" }>): ObjectRef<never, T & { status: "OK" }>;
  /** Declares `union <name> = ok | errors... | GeneralError` (and `MfaRequired`, `MfaEnrolmentRequired` for first-factor sign-ins). */
  union(name: string, ok: ObjectRef<never, any>, errors: ErrorStatus[], options?: { mfa?: boolean }): ReturnType<Builder["errorUnion"]>;
  /** Registers mutation `name` answering `<Name>Result` (the union of `ok` and `errors`) from an API's status value. */
  mutation(name: string, spec: MutationSpec): void;
}

export interface MutationSpec {
  ok: ObjectRef<never, any>;
  errors: ErrorStatus[];
  description: string;
  /** First-factor sign-ins may answer MfaRequired or MfaEnrolmentRequired. */
  mfa?: boolean;
  /** Counts against the per-request limit of credential checks (security/credential-limit.ts). */
  credentialCheck?: boolean;
  /** What `/metrics` counts the outcome as: a first-factor sign-in by `method`, a second factor tried, or a refresh. */
  metric?: { signIn: string } | { mfaFactor: string } | "refresh";
  args?: (arg: ArgBuilder<Types>) => Record<string, any>;
  resolve: (args: any, ctx: Context) => Promise<{ status: string }>;
}

export function registerResultTypes(builder: Builder, enums: FactorEnums): Results {
  const statuses = [...PROGRESS_STATUSES, ...Object.keys(ERROR_STATUSES)] as const;
  const AuthStatus = builder.enumType("AuthStatus", {
    description: "Every status an operation can end in; each union member reports one.",
    values: statuses,
  });
  const AuthResult = builder.interfaceRef<{ status: string }>("AuthResult").implement({
    fields: (t) => ({ status: t.field({ type: AuthStatus, resolve: (value) => value.status as never }) }),
  });
  const AuthError = builder.interfaceRef<AuthFailure>("AuthError").implement({
    interfaces: [AuthResult],
    fields: (t) => ({ message: t.exposeString("message") }),
  });
  const FormFieldError = builder.objectRef<{ id: string; error: string }>("FormFieldError").implement({
    fields: (t) => ({ id: t.exposeString("id"), error: t.exposeString("error") }),
  });

  for (const status of Object.keys(ERROR_STATUSES) as ErrorStatus[]) {
    const extra = ERROR_STATUSES[status].fields as Record<string, ErrorFieldType>;
    builder.objectType(
      FAILURE_CLASSES[status] as never,
      {
        name: errorTypeName(status),
        interfaces: [AuthResult, AuthError],
        isTypeOf: (value: unknown) => value instanceof AuthFailure && value.status === status,
        fields: (t: any) => ({
          ...Object.fromEntries(
            Object.entries(extra).map(([field, type]) => [
              field,
              type === "[String]" || type === "[AuthFactor]"
                ? t.field({
                    type: [type === "[String]" ? "String" : enums.AuthFactor],
                    nullable: false,
                    resolve: (value: AuthFailure) => value.details[field] ?? [],
                  })
                : t.field({ type, nullable: false, resolve: (value: AuthFailure) => value.details[field] }),
            ]),
          ),
          ...(status === "INVALID_INPUT_ERROR"
            ? { fieldErrors: t.field({ type: [FormFieldError], resolve: (value: InvalidInputError) => value.fieldErrors }) }
            : {}),
        }),
      } as never,
    );
  }

  const MfaRequired = builder.objectRef<{ status: "MFA_REQUIRED"; ticket: string; factors: string[] }>("MfaRequired").implement({
    description:
      "The first factor passed; finish within 5 minutes with this ticket and one of `factors`: verifySignInMfaTotp, verifySignInMfaRecoveryCode, verifySignInMfaWebauthn, or sendSignInMfaCode then verifySignInMfaCode.",
    interfaces: [AuthResult],
    isTypeOf: (value: unknown) => (value as { status?: string })?.status === "MFA_REQUIRED",
    fields: (t) => ({
      ticket: t.exposeString("ticket"),
      factors: t.field({
        type: [enums.AuthFactor],
        description: "Second factors the user can finish with: totp, recoveryCode, webauthn, emailCode, smsCode.",
        resolve: (value) => value.factors as never,
      }),
    }),
  });
  const MfaEnrolmentRequired = builder.objectRef<{ status: "MFA_ENROLMENT_REQUIRED"; ticket: string; factors: string[] }>("MfaEnrolmentRequired").implement({
    description:
      "The first factor passed, and this account must set a second factor up before it gets a session (MFA required by the tenant or a role). Within 10 minutes, pass the ticket to createTotpDevice and verifyTotpDevice: the verified device finishes the sign-in.",
    interfaces: [AuthResult],
    isTypeOf: (value: unknown) => (value as { status?: string })?.status === "MFA_ENROLMENT_REQUIRED",
    fields: (t) => ({
      ticket: t.exposeString("ticket"),
      factors: t.field({
        type: [enums.AuthFactor],
        description: "Second factors the user can set up now, e.g. [totp].",
        resolve: (value) => value.factors as never,
      }),
    }),
  });

  return {
    ok(name, fields) {
      return builder.objectRef<any>(name).implement({
        interfaces: [AuthResult],
        isTypeOf: (value: unknown) => !(value instanceof AuthFailure) && (value as { status?: string })?.status === "OK",
        fields: (fields ?? (() => ({}))) as never,
      }) as never;
    },
    union(name, ok, errors, options) {
      const members = [...new Set<ErrorStatus>([...errors, "GENERAL_ERROR"])].map((status) => FAILURE_CLASSES[status]);
      return builder.errorUnion(name, { types: [ok, ...(options?.mfa ? [MfaRequired, MfaEnrolmentRequired] : []), ...members] as never });
    },
    mutation(name, spec) {
      const Result = this.union(`${name[0]!.toUpperCase()}${name.slice(1)}Result`, spec.ok, spec.errors, { mfa: spec.mfa });
      builder.mutationField(name, (t) =>
        t.field({
          type: Result,
          description: spec.description,
          ...(spec.credentialCheck ? { extensions: CREDENTIAL_CHECK } : {}),
          args: spec.args?.(t.arg) ?? {},
          resolve: async (_, args, ctx) => {
            let value: { status: string };
            try {
              value = await spec.resolve(args, ctx);
            } catch (error) {
              observe(ctx, name, spec.metric, "(error)");
              throw error;
            }
            observe(ctx, name, spec.metric, outcomeOf(value, spec.ok));
            carrySessionCookie(ctx, value);
            return toResult(value) as never;
          },
        }),
      );
    },
  };
}

/** The __typename a status value answers as. */
function outcomeOf(value: { status: string }, ok: ObjectRef<never, any>): string {
  if (value.status === "OK") return ok.name;
  if (value.status === "MFA_REQUIRED") return "MfaRequired";
  if (value.status === "MFA_ENROLMENT_REQUIRED") return "MfaEnrolmentRequired";
  return errorTypeName(value.status as ErrorStatus);
}

/** The request's log line and the metrics learn how the mutation ended. */
function observe(ctx: Context, field: string, metric: MutationSpec["metric"], outcome: string): void {
  noteOutcome(ctx.request, field, outcome);
  if (metric === undefined) return;
  const { metrics } = ctx.deps;
  if (metric === "refresh") {
    metrics.refresh(outcome);
    if (outcome === "TokenTheftDetectedError") metrics.tokenTheftDetected();
  } else if ("signIn" in metric) {
    metrics.signIn(metric.signIn, outcome);
  } else {
    metrics.mfaChallenge(metric.mfaFactor, outcome);
  }
}

/** Cookie mode: a result carrying a session sets its refresh token as the httpOnly cookie (the body's field answers null). */
function carrySessionCookie(ctx: Context, value: { status: string }): void {
  if (!ctx.deps.config.sessionCookies || value.status !== "OK") return;
  const refreshToken = (value as { session?: { refreshToken?: unknown } | null }).session?.refreshToken;
  if (typeof refreshToken === "string") queueCookie(ctx.request, refreshCookie(ctx.deps.config, refreshToken));
}
