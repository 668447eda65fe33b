/** Builds the executable schema from the enabled recipe APIs. */
import { GraphQLError, type GraphQLSchema, type GraphQLUnionType } from "graphql";
import { RECIPES, apisOf, type AnyRecipe, type Recipes } from "../recipes/index.js";
import { registerSessionSchema } from "../sessions/schema.js";
import { registerAccountSchema, registerUserTypes } from "../accounts/schema.js";
import { createBuilder } from "./builder.js";
import { registerResultTypes } from "./result-types.js";
import { registerScalars } from "./scalars.js";
import { registerFactorEnums } from "./enums.js";
import { VERSION } from "../version.js";
import type { Config } from "../config.js";
import { defineAuthConfig, registerAuthConfigQuery } from "./auth-config.js";
import { registerAdminSchema } from "../admin/schema.js";
import { defineAuditEvent, registerSecurityEvents } from "../security/events.js";
import type { AdminApis } from "../admin/service.js";
import type { RecipeSchemaContext } from "./recipe-schema.js";
import type { Context } from "../context.js";

export const FEDERATION_LINK = "https://specs.apollo.dev/federation/v2.6";

/** The public schema; with `admin`, the admin schema (the same plus the admin fields). */
export function buildSchema(recipes: Recipes, config: Config, admin?: AdminApis): GraphQLSchema {
  const builder = createBuilder();
  registerScalars(builder);
  const enums = registerFactorEnums(builder, recipes.factorIds);
  const results = registerResultTypes(builder, enums);
  builder.queryType({});
  builder.mutationType({});
  builder.queryField("version", (t) => t.string({ description: "The server's package version.", resolve: () => VERSION }));
  const types = registerUserTypes(builder, enums);
  registerSessionSchema(builder, results, types, recipes.apis.session);
  registerAccountSchema(results, types, recipes.apis.account);
  const AuthConfig = defineAuthConfig(builder, enums);
  const context: RecipeSchemaContext = { builder, results, types, AuthConfig, enums };
  for (const recipe of RECIPES as readonly AnyRecipe[]) recipe.schema(context as never, apisOf(recipes, recipe));
  registerAuthConfigQuery(builder, AuthConfig, config, recipes, RECIPES);
  const AuditEvent = defineAuditEvent(builder);
  registerSecurityEvents(builder, AuditEvent);
  if (admin) registerAdminSchema(builder, results, types, enums, AuditEvent, admin);
  // An Apollo Federation v2 subgraph: `_service { sdl }` and `_entities` (User @key(fields: "id")).
  const schema = builder.toSubGraphSchema({ linkUrl: FEDERATION_LINK, federationDirectives: ["@key"] });
  guardRepresentations(schema);
  forgetDirectives(schema);
  trackRootFields(schema);
  return schema;
}

/**
 * Every query and mutation counts as in flight until its resolver settles, so
 * that shutdown closes the database after the work it took (lifecycle.ts),
 * also when the client hung up and the executor stopped waiting for it.
 * (Subscriptions are long-lived: draining ends them.)
 */
function trackRootFields(schema: GraphQLSchema): void {
  for (const type of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      const resolve = field.resolve;
      if (!resolve) continue;
      field.resolve = (source, args, ctx: Partial<Context> | undefined, info) => {
        const value = resolve(source, args, ctx, info);
        return value instanceof Promise && ctx?.deps ? ctx.deps.lifecycle.track(value) : value;
      };
    }
  }
}

/**
 * The federation directives have done their work once `_service { sdl }` is
 * printed (it is, while building). Left in the types' extensions, schema tools
 * that read directives from there (graphql-tools' mergeSchemas, when a host
 * merges this schema with its own) would apply `@link` and `@key` to the host's
 * schema, which defines neither.
 */
function forgetDirectives(schema: GraphQLSchema): void {
  for (const holder of [schema, ...Object.values(schema.getTypeMap())] as Array<{ extensions?: unknown; astNode?: unknown; extensionASTNodes?: unknown }>) {
    const extensions = holder.extensions as Record<string, unknown> | undefined;
    if (extensions?.directives) {
      const { directives: _, ...rest } = extensions;
      holder.extensions = rest;
    }
    // The same directives, as the AST the directives plugin attached for printing.
    if ((holder.astNode as { directives?: unknown[] } | undefined)?.directives?.length) holder.astNode = undefined;
    if (Array.isArray(holder.extensionASTNodes) && holder.extensionASTNodes.length > 0) holder.extensionASTNodes = [];
  }
}

/**
 * `_entities` takes `_Any`, so its input is whatever a caller sends. A
 * representation that is not an object naming an entity type is refused as
 * bad input (the federation library would throw on it: an internal error).
 */
function guardRepresentations(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  if (!field?.resolve) return;
  const resolve = field.resolve;
  const entityTypes = new Set(((schema.getType("_Entity") as GraphQLUnionType | undefined)?.getTypes() ?? []).map((type) => type.name));
  field.resolve = (source, args, context, info) => {
    const representations = (args as { representations: unknown[] }).representations;
    const bad = representations.findIndex(
      (value) =>
        typeof value !== "object" || value === null || Array.isArray(value) || !entityTypes.has((value as { __typename?: unknown }).__typename as string),
    );
    if (bad >= 0) {
      throw new GraphQLError(`representations[${bad}] must be an object with the __typename of an entity (${[...entityTypes].join(", ")}) and its key fields`, {
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
    return resolve(source, args, context, info);
  };
}
