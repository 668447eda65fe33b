/** TOTP devices and recovery codes: the second factor of multi-factor sign-in (SuperTokens totp, Nhost MFA). */
import type { RecipeSchemaContext } from "../../schema/recipe-schema.js";
import { defineRecipe } from "../definition.js";
import { createTotpApis, type TotpApis } from "./api.js";
import { registerTotpSchema } from "./schema.js";
import { createTotpFunctions, type TotpFunctions } from "./service.js";

export const totpRecipe = defineRecipe<"totp", TotpFunctions, TotpApis>({
  id: "totp",
  secondFactors: (apis) => (apis.verifySignInMfaTotp ? ["totp", ...(apis.verifySignInMfaRecoveryCode ? ["recoveryCode"] : [])] : []),
  functions: (deps) => createTotpFunctions(deps),
  apis: (deps, functions) => createTotpApis(deps, functions),
  schema: ({ builder, results, types }: RecipeSchemaContext, apis) => registerTotpSchema(builder, results, types, apis),
});
