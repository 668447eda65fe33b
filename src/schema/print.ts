/** The committed schema.graphql: the default app's schema, printed. */
import { lexicographicSortSchema, printSchema } from "graphql";
import { loadConfig } from "../config.js";
import { createRecipes } from "../recipes/apis.js";
import type { Deps } from "../deps.js";
import { buildSchema } from "./index.js";

export async function printSchemaFile(): Promise<string> {
  // Building the schema needs no running services: recipes only close over deps.
  const deps = { config: loadConfig({}) } as unknown as Deps;
  const schema = buildSchema(createRecipes(deps), deps.config);
  return `# Printed from the code by \`npm run schema:print\`; do not edit.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
}
