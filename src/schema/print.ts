/** The committed schema.graphql (and schema.admin.graphql): the default app's schemas, printed. */
import { lexicographicSortSchema, printSchema } from "graphql";
import { loadConfig } from "../config.js";
import { createRecipes } from "../recipes/index.js";
import type { Deps } from "../deps.js";
import { buildSchema } from "./index.js";
import { createAdminApis } from "../admin/service.js";
import { createMfa } from "../mfa/registry.js";

export async function printSchemaFile(kind: "public" | "admin" = "public"): Promise<string> {
  // Building the schema needs no running services: recipes only close over deps.
  const deps = { config: loadConfig({}), mfa: createMfa() } as unknown as Deps;
  const recipes = createRecipes(deps);
  const schema = buildSchema(recipes, deps.config, kind === "admin" ? createAdminApis(deps, recipes.functions.emailpassword) : undefined);
  const heading = kind === "admin" ? "The schema administrators see (admin secret or admin role): schema.graphql plus the admin fields." : "The public schema.";
  return `# Printed from the code by \`npm run schema:print\`; do not edit. ${heading}\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
}
