/**
 * `authConfig`: what a login screen needs to know to render itself, per tenant:
 * the first factors on offer, the passwordless flow, the password policy,
 * whether email verification is required, and the second factors.
 */
import type { Config } from "../config.js";
import type { Recipes } from "../recipes/apis.js";
import { tenantArg, tenantOf } from "./fields.js";
import type { ObjectRef } from "@pothos/core";
import type { Builder, Types } from "./builder.js";
import type { FirstFactor } from "../tenants/tenants.js";

interface AuthConfig {
  tenantId: string;
  firstFactors: string[];
  passwordless: { flowType: string; codeLength: number } | null;
  passwordPolicy: { minLength: number; maxLength: number };
  emailVerification: string;
  mfaFactors: string[];
  thirdPartyProviders: Array<{ id: string; name: string }>;
}

export function registerAuthConfig(builder: Builder, config: Config, recipes: Recipes, ThirdPartyProvider: ObjectRef<Types, { id: string; name: string }>): void {
  const { emailpassword, passwordless, anonymous, pat, totp, webauthn, thirdparty } = recipes.apis;
  const PasswordPolicy = builder.objectRef<AuthConfig["passwordPolicy"]>("PasswordPolicy").implement({
    fields: (t) => ({
      minLength: t.exposeInt("minLength", { description: "In Unicode code points." }),
      maxLength: t.exposeInt("maxLength"),
    }),
  });
  const PasswordlessConfig = builder.objectRef<NonNullable<AuthConfig["passwordless"]>>("PasswordlessConfig").implement({
    fields: (t) => ({
      flowType: t.exposeString("flowType", { description: "USER_INPUT_CODE, MAGIC_LINK or USER_INPUT_CODE_AND_MAGIC_LINK." }),
      codeLength: t.exposeInt("codeLength"),
    }),
  });
  const EmailVerification = builder.enumType("EmailVerificationMode", { values: ["REQUIRED", "OPTIONAL", "OFF"] as const });
  const AuthConfigType = builder.objectRef<AuthConfig>("AuthConfig").implement({
    fields: (t) => ({
      tenantId: t.exposeString("tenantId"),
      firstFactors: t.exposeStringList("firstFactors", {
        description: 'Ways to sign in: "emailpassword", "passwordless", "webauthn", "thirdparty", "anonymous", "personalAccessToken".',
      }),
      passwordless: t.field({ type: PasswordlessConfig, nullable: true, resolve: (value) => value.passwordless }),
      passwordPolicy: t.field({ type: PasswordPolicy, resolve: (value) => value.passwordPolicy }),
      emailVerification: t.field({ type: EmailVerification, resolve: (value) => value.emailVerification as never }),
      mfaFactors: t.exposeStringList("mfaFactors", { description: 'Second factors a user can enable: "totp", "recoveryCode".' }),
      thirdPartyProviders: t.field({ type: [ThirdPartyProvider], resolve: (value) => value.thirdPartyProviders }),
    }),
  });
  builder.queryField("authConfig", (t) =>
    t.field({
      type: AuthConfigType,
      description: "What this server offers, for rendering a login screen.",
      args: { tenantId: tenantArg(t) },
      resolve: async (_, args, ctx) => {
        const tenantId = tenantOf(args);
        const settings = await ctx.deps.tenants.settings(tenantId);
        const offered = (factor: FirstFactor, enabled: unknown) => Boolean(enabled) && (settings.firstFactors === null || settings.firstFactors.includes(factor));
        const providers =
          offered("thirdparty", thirdparty.thirdPartySignInUp || thirdparty.signInIdToken) ? await recipes.functions.thirdparty.providers({ tenantId }) : [];
        return {
          tenantId,
          firstFactors: [
            ...(offered("emailpassword", emailpassword.signInEmailPassword) ? ["emailpassword"] : []),
            ...(offered("passwordless", passwordless.consumeCode) ? ["passwordless"] : []),
            ...(offered("webauthn", webauthn.webauthnSignIn) ? ["webauthn"] : []),
            ...(providers.length > 0 ? ["thirdparty"] : []),
            ...(offered("anonymous", anonymous.signInAnonymous && config.anonymous.enabled) ? ["anonymous"] : []),
            ...(offered("personalAccessToken", pat.signInPersonalAccessToken) ? ["personalAccessToken"] : []),
          ],
          passwordless: offered("passwordless", passwordless.createCode) ? { flowType: config.passwordless.flowType, codeLength: config.passwordless.codeLength } : null,
          passwordPolicy: { minLength: settings.passwordMinLength, maxLength: config.passwordMaxLength },
          emailVerification: settings.emailVerification.toUpperCase(),
          mfaFactors: totp.verifySignInMfaTotp ? ["totp", ...(totp.verifySignInMfaRecoveryCode ? ["recoveryCode"] : [])] : [],
          thirdPartyProviders: providers.map(({ id, name }) => ({ id, name })),
        };
      },
    }),
  );
}
