/** WebAuthn passkeys and security keys (Nhost WebAuthn): sign-up, sign-in, keys, step-up. */
import type { RecipeSchemaContext } from "../../schema/recipe-schema.js";
import { defineRecipe } from "../definition.js";
import type { EmailPasswordFunctions } from "../emailpassword/service.js";
import { createWebauthnApis, type WebauthnApis, type WebauthnOptions } from "./api.js";
import { registerWebauthnSchema } from "./schema.js";
import { createWebauthnFunctions, deleteExpiredChallenges, RECIPE_ID, type WebauthnFunctions } from "./service.js";

export const webauthnRecipe = defineRecipe<typeof RECIPE_ID, WebauthnFunctions, WebauthnApis, WebauthnOptions>({
  id: RECIPE_ID,
  firstFactor: { id: "webauthn", offered: ({ apis }) => Boolean(apis.webauthnSignIn) },
  functions: (deps) => createWebauthnFunctions(deps),
  apis: (deps, functions, options, others) => createWebauthnApis(deps, functions, others.functions<EmailPasswordFunctions>("emailpassword"), options),
  housekeeping: async (deps) => ({ challenges: await deleteExpiredChallenges(deps) }),
  schema: ({ builder, results, types }: RecipeSchemaContext, apis) => registerWebauthnSchema(builder, results, types, apis),
});
