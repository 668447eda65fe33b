/**
 * `authConfig`: what a login screen needs to know to render itself, per tenant:
 * the first factors on offer (from each recipe definition), the password policy,
 * whether email verification is required, and the second factors. Recipes add
 * their own fields (the passwordless flow, the providers) through the
 * `AuthConfig` type they receive in their schema context.
 */
import type { ObjectRef } from "@pothos/core";
import type { Config } from "../config.js";
import { apisOf, functionsOf, type AnyRecipe, type Recipes } from "../recipes/index.js";
import { tenantArg, tenantOf } from "./fields.js";
import type { FactorEnums } from "./enums.js";
import type { Builder, Types } from "./builder.js";

/** The value behind authConfig: the tenant it describes (recipes' fields read the rest). */
export interface AuthConfigValue {
  tenantId: string;
  firstFactors: string[];
  passwordPolicy: { minLength: number; maxLength: number };
  emailVerification: string;
  mfaFactors: string[];
  mfa: { policy: string; requiredForRoles: string[]; stepUpFactors: string[]; enrolableFactors: string[] };
  /** Whether a first factor is on offer for this tenant (for recipes' own fields). */
  offers(factor: string): boolean;
}

export type AuthConfigRef = ObjectRef<Types, AuthConfigValue>;

export function defineAuthConfig(builder: Builder, enums: FactorEnums): AuthConfigRef {
  const PasswordPolicy = builder.objectRef<AuthConfigValue["passwordPolicy"]>("PasswordPolicy").implement({
    fields: (t) => ({
      minLength: t.exposeInt("minLength", { description: "In Unicode code points." }),
      maxLength: t.exposeInt("maxLength"),
    }),
  });
  const MfaPolicy = builder.enumType("MfaPolicy", {
    values: {
      OFF: { description: "Sign-ins never ask for a second factor." },
      OPTIONAL: { description: "Users who set up an authenticator (TOTP) are asked for a second factor." },
      REQUIRED: { description: "Everyone is asked; users without a factor enrol one before their first session." },
    } as const,
  });
  const Mfa = builder.objectRef<AuthConfigValue["mfa"]>("MfaConfig").implement({
    description: "Multi-factor sign-in on this tenant.",
    fields: (t) => ({
      policy: t.field({ type: MfaPolicy, resolve: (mfa) => mfa.policy as never }),
      requiredForRoles: t.exposeStringList("requiredForRoles", { description: "Roles whose users always need a second factor (even when OPTIONAL)." }),
      enrolableFactors: t.field({
        type: [enums.AuthFactor],
        description: "Factors a user can set up when MfaEnrolmentRequired answers.",
        resolve: (mfa) => mfa.enrolableFactors as never,
      }),
      stepUpFactors: t.field({
        type: [enums.AuthFactor],
        description: "Proofs that can elevate a session: password, totp, webauthn, emailCode, smsCode (ElevationRequiredError.factors lists a user's).",
        resolve: (mfa) => mfa.stepUpFactors as never,
      }),
    }),
  });
  const EmailVerification = builder.enumType("EmailVerificationMode", { values: ["REQUIRED", "OPTIONAL", "OFF"] as const });
  return builder.objectRef<AuthConfigValue>("AuthConfig").implement({
    fields: (t) => ({
      tenantId: t.exposeString("tenantId"),
      firstFactors: t.field({ type: [enums.FirstFactor], description: "Ways to sign in on this tenant.", resolve: (value) => value.firstFactors as never }),
      passwordPolicy: t.field({ type: PasswordPolicy, resolve: (value) => value.passwordPolicy }),
      emailVerification: t.field({ type: EmailVerification, resolve: (value) => value.emailVerification as never }),
      mfaFactors: t.field({
        type: [enums.AuthFactor],
        description: "Second factors this tenant accepts at sign-in.",
        resolve: (value) => value.mfaFactors as never,
      }),
      mfa: t.field({ type: Mfa, resolve: (value) => value.mfa }),
    }),
  });
}

export function registerAuthConfigQuery(
  builder: Builder,
  AuthConfig: AuthConfigRef,
  config: Config,
  recipes: Recipes,
  definitions: readonly AnyRecipe[],
): void {
  builder.queryField("authConfig", (t) =>
    t.field({
      type: AuthConfig,
      description: "What this server offers, for rendering a login screen.",
      args: { tenantId: tenantArg(t) },
      resolve: async (_, args, ctx) => {
        const tenantId = tenantOf(args);
        const settings = await ctx.deps.tenants.settings(tenantId);
        const firstFactors: string[] = [];
        for (const recipe of definitions) {
          const factor = recipe.firstFactor;
          if (!factor || (settings.firstFactors !== null && !settings.firstFactors.includes(factor.id))) continue;
          if (await factor.offered({ apis: apisOf(recipes, recipe), functions: functionsOf(recipes, recipe), config, tenantId })) firstFactors.push(factor.id);
        }
        return {
          tenantId,
          firstFactors,
          passwordPolicy: { minLength: settings.passwordMinLength, maxLength: config.passwordMaxLength },
          emailVerification: settings.emailVerification.toUpperCase(),
          mfaFactors: ctx.deps.mfa.secondFactorIds(settings.mfaFactors),
          mfa: {
            policy: settings.mfa.toUpperCase(),
            requiredForRoles: settings.mfaRequiredRoles,
            stepUpFactors: ctx.deps.mfa.stepUpIds(),
            enrolableFactors: ctx.deps.mfa.enrolableIds(settings.mfaFactors),
          },
          offers: (factor: string) => firstFactors.includes(factor),
        };
      },
    }),
  );
}
