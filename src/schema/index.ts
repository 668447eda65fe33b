/** Builds the executable schema from the enabled recipe APIs. */
import type { GraphQLSchema } from "graphql";
import { RECIPES, apisOf, type AnyRecipe, type Recipes } from "../recipes/index.js";
import { registerSessionSchema } from "../sessions/schema.js";
import { registerUserTypes } from "../accounts/schema.js";
import { createBuilder } from "./builder.js";
import { registerResultTypes } from "./result-types.js";
import { registerScalars } from "./scalars.js";
import { VERSION } from "../version.js";
import type { Config } from "../config.js";
import { defineAuthConfig, registerAuthConfigQuery } from "./auth-config.js";
import { registerAdminSchema } from "../admin/schema.js";
import { defineAuditEvent, registerSecurityEvents } from "../security/events.js";
import type { AdminApis } from "../admin/service.js";
import type { RecipeSchemaContext } from "./recipe-schema.js";

/** The public schema; with `admin`, the admin schema (the same plus the admin fields). */
export function buildSchema(recipes: Recipes, config: Config, admin?: AdminApis): GraphQLSchema {
  const builder = createBuilder();
  registerScalars(builder);
  const results = registerResultTypes(builder);
  builder.queryType({});
  builder.mutationType({});
  builder.queryField("version", (t) => t.string({ description: "The server's package version.", resolve: () => VERSION }));
  const types = registerUserTypes(builder);
  registerSessionSchema(builder, results, types, recipes.apis.session);
  const AuthConfig = defineAuthConfig(builder);
  const context: RecipeSchemaContext = { builder, results, types, AuthConfig };
  for (const recipe of RECIPES as readonly AnyRecipe[]) recipe.schema(context as never, apisOf(recipes, recipe));
  registerAuthConfigQuery(builder, AuthConfig, config, recipes, RECIPES);
  const AuditEvent = defineAuditEvent(builder);
  registerSecurityEvents(builder, AuditEvent);
  if (admin) registerAdminSchema(builder, results, types, AuditEvent, admin);
  return builder.toSchema({ sortSchema: true });
}
