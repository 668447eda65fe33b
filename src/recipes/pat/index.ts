/** Personal access tokens (Nhost): long-lived secrets for scripts, traded for sessions. */
import type { RecipeSchemaContext } from "../../schema/recipe-schema.js";
import { defineRecipe } from "../definition.js";
import { createPatApis, type PatApis } from "./api.js";
import { registerPatSchema } from "./schema.js";
import { createPatFunctions, deleteExpiredTokens, type PatFunctions } from "./service.js";

export const patRecipe = defineRecipe<"pat", PatFunctions, PatApis>({
  id: "pat",
  firstFactor: { id: "personalAccessToken", offered: ({ apis }) => Boolean(apis.signInPersonalAccessToken) },
  functions: (deps) => createPatFunctions(deps),
  apis: (deps, functions) => createPatApis(deps, functions),
  housekeeping: async (deps) => ({ personalAccessTokens: await deleteExpiredTokens(deps) }),
  schema: ({ builder, results, types }: RecipeSchemaContext, apis) => registerPatSchema(builder, results, types, apis),
});
