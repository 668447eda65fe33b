/** Anonymous users (Nhost): a session before an account, made permanent later with the same id. */
import type { RecipeSchemaContext } from "../../schema/recipe-schema.js";
import { defineRecipe } from "../definition.js";
import type { EmailPasswordFunctions } from "../emailpassword/service.js";
import { createAnonymousApis, type AnonymousApis } from "./api.js";
import { registerAnonymousSchema } from "./schema.js";

export const anonymousRecipe = defineRecipe<"anonymous", Record<string, never>, AnonymousApis>({
  id: "anonymous",
  firstFactor: { id: "anonymous", offered: ({ apis, config }) => Boolean(apis.signInAnonymous) && config.anonymous.enabled },
  functions: () => ({}),
  apis: (deps, _functions, _options, others) => createAnonymousApis(deps, others.functions<EmailPasswordFunctions>("emailpassword")),
  // Anonymous users nobody came back to: created long ago and without a live session.
  housekeeping: async ({ accounts, config }) => ({ anonymousUsers: await accounts.deleteStaleAnonymous(config.anonymous.retentionSeconds) }),
  schema: ({ builder, results, types }: RecipeSchemaContext, apis) => registerAnonymousSchema(builder, results, types, apis),
});
