/**
 * What a recipe is: one folder under src/recipes/<id>/ whose index.ts exports one
 * definition. The core (recipes/index.ts, the schema, authConfig, the routes,
 * tenant policy) iterates over the definitions; nothing else keeps a list of
 * recipes. Adding a recipe is adding a folder and one line in RECIPES.
 */
import type { Config } from "../config.js";
import type { Context } from "../context.js";
import type { Deps } from "../deps.js";
import type { ErrorStatus } from "../results.js";
import type { EnabledApis } from "./override.js";
import type { Factor } from "../mfa/registry.js";

/** How a ticket link of this recipe ends, for GET /verify (see routes.ts). */
export type LinkOutcome =
  | { status: "OK"; session?: { refreshToken: string } }
  | { status: "MFA_REQUIRED"; ticket: string }
  | { status: "MFA_ENROLMENT_REQUIRED"; ticket: string }
  | { status: ErrorStatus; message?: unknown; reason?: unknown };

/** Spends one kind of emailed ticket through the recipe's APIs; null when the API it needs is disabled. */
export type LinkHandler<A> = (
  apis: EnabledApis<A>,
  input: { ticket: string; tenantId: string; query: URLSearchParams },
  ctx: Context,
) => Promise<LinkOutcome> | null;

/** A REST route of the recipe (beside /graphql), calling its APIs with the request's context. */
export interface RecipeRoute<A> {
  methods: string[];
  path: RegExp;
  handle(input: { request: Request; match: RegExpExecArray; apis: EnabledApis<A>; deps: Deps; ctx: Context }): Promise<Response>;
}

/** What the schema layer hands a recipe's schema.ts (kept opaque here: recipes outside schema.ts know no GraphQL). */
type SchemaRegistrar<A> = (schema: never, apis: EnabledApis<A>) => void;

export interface RecipeDefinition<Id extends string = string, F = unknown, A = unknown, O = unknown> {
  id: Id;
  /** The first factor the recipe offers (tenant `firstFactors`, `authConfig.firstFactors`), if any. */
  firstFactor?: {
    id: string;
    /** Whether it is on offer: its sign-in API enabled (and configured). */
    offered(input: { apis: EnabledApis<A>; functions: F; config: Config; tenantId: string }): boolean | Promise<boolean>;
  };
  /** The factors the recipe gives users (second factors, step-up proofs; see mfa/registry.ts), each only while the API that passes it is enabled. */
  factors?: (input: { deps: Deps; functions: F; apis: EnabledApis<A> }) => Factor[];
  /** The overridable functions; `self` answers the final (overridden) object. `others` gives recipes built earlier in RECIPES. */
  functions(deps: Deps, self: () => F, options: O): F;
  /** What each field (and route) does, over the final functions. */
  apis(deps: Deps, functions: F, options: O, others: OtherRecipes): A;
  /** Registers the recipe's GraphQL fields (its schema.ts); called by the schema layer. */
  schema: SchemaRegistrar<A>;
  /** Ticket types GET /verify spends through this recipe. */
  links?: Record<string, LinkHandler<A>>;
  routes?: Array<RecipeRoute<A>>;
  /** Deletes the recipe's rows that can no longer be used (run with the core's, every HOUSEKEEPING_INTERVAL); counts by kind. */
  housekeeping?(deps: Deps): Promise<Record<string, number>>;
}

/** The functions of recipes built before this one (in RECIPES order). */
export interface OtherRecipes {
  functions<T>(id: string): T;
}

/** Keeps each definition's types (functions, APIs, options) for the typed recipe map. */
export function defineRecipe<Id extends string, F, A, O = object>(definition: RecipeDefinition<Id, F, A, O>): RecipeDefinition<Id, F, A, O> {
  return definition;
}
