/**
 * The factor enums. Their values are the names the API has always answered
 * ("totp", "emailCode", "personalAccessToken"), so responses are unchanged and
 * codegen clients get string-literal unions instead of `string`.
 */
import type { Builder } from "./builder.js";
import { FIRST_FACTORS } from "../recipes/index.js";

export function registerFactorEnums(builder: Builder, factorIds: string[]) {
  return {
    AuthFactor: builder.enumType("AuthFactor", {
      description:
        "A second factor or step-up proof: totp, recoveryCode, webauthn (passkey or security key), emailCode and smsCode (codes to the verified email or phone), password (step-up only).",
      values: factorIds as readonly string[],
    }),
    FirstFactor: builder.enumType("FirstFactor", {
      description: "A way to sign in: emailpassword, passwordless, webauthn, thirdparty, anonymous, personalAccessToken.",
      values: FIRST_FACTORS as readonly string[],
    }),
  };
}

export type FactorEnums = ReturnType<typeof registerFactorEnums>;
