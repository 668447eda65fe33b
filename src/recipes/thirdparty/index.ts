/** Third-party sign-in (SuperTokens thirdparty, Nhost providers): OpenID Connect and OAuth providers, ID tokens, redirect routes. */
import type { RecipeSchemaContext } from "../../schema/recipe-schema.js";
import { defineRecipe } from "../definition.js";
import type { EmailPasswordFunctions } from "../emailpassword/service.js";
import { createThirdPartyApis, type ThirdPartyApis, type ThirdPartyOptions } from "./api.js";
import { providerRoutes } from "./routes.js";
import { registerThirdPartyAuthConfig, registerThirdPartySchema } from "./schema.js";
import { createThirdPartyFunctions, deleteExpiredStates, RECIPE_ID, type ThirdPartyFunctions } from "./service.js";

export const thirdPartyRecipe = defineRecipe<typeof RECIPE_ID, ThirdPartyFunctions, ThirdPartyApis, ThirdPartyOptions>({
  id: RECIPE_ID,
  // On offer where a sign-in API is enabled and the tenant has providers.
  firstFactor: {
    id: "thirdparty",
    offered: async ({ apis, functions, tenantId }) =>
      Boolean(apis.thirdPartySignInUp || apis.signInIdToken) && (await functions.providers({ tenantId })).length > 0,
  },
  functions: (deps, self) => createThirdPartyFunctions(deps, self),
  apis: (deps, functions, options, others) => createThirdPartyApis(deps, functions, others.functions<EmailPasswordFunctions>("emailpassword"), options),
  schema: ({ builder, results, types, AuthConfig }: RecipeSchemaContext, apis) =>
    registerThirdPartyAuthConfig(builder, AuthConfig, registerThirdPartySchema(builder, results, types, apis), apis),
  routes: providerRoutes,
  housekeeping: async (deps) => ({ oauthStates: await deleteExpiredStates(deps) }),
});
