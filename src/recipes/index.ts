/**
 * The recipes this server runs, in the order they are built (a recipe may use
 * the functions of one listed before it). Adding a recipe is adding its folder
 * (src/recipes/<id>/index.ts exporting a definition, see definition.ts) and one
 * line here; the schema, authConfig, tenant first factors, GET /verify and the
 * REST routes all follow this list.
 */
import type { Deps } from "../deps.js";
import { createSessionApis, type SessionApis } from "../sessions/api.js";
import { createAccountApis, type AccountApis } from "../accounts/api.js";
import { anonymousRecipe } from "./anonymous/index.js";
import type { OtherRecipes, RecipeDefinition } from "./definition.js";
import { emailPasswordRecipe } from "./emailpassword/index.js";
import { applyOverride, type EnabledApis, type RecipeOverride } from "./override.js";
import { passwordlessRecipe } from "./passwordless/index.js";
import { patRecipe } from "./pat/index.js";
import { thirdPartyRecipe } from "./thirdparty/index.js";
import { totpRecipe } from "./totp/index.js";
import { webauthnRecipe } from "./webauthn/index.js";

export const RECIPES = [emailPasswordRecipe, passwordlessRecipe, webauthnRecipe, thirdPartyRecipe, anonymousRecipe, patRecipe, totpRecipe] as const;

type Definition = (typeof RECIPES)[number];
/** Any recipe definition, for code that iterates over them. */
export type AnyRecipe = RecipeDefinition<string, any, any, any>;
type AnyDefinition = AnyRecipe;
type FunctionsOf<D> = D extends RecipeDefinition<string, infer F, any, any> ? F : never;
type ApisOf<D> = D extends RecipeDefinition<string, any, infer A, any> ? A : never;
type OptionsOf<D> = D extends RecipeDefinition<string, any, any, infer O> ? O : never;

/** Every first factor a recipe offers (tenant `firstFactors` name these). */
export const FIRST_FACTORS: readonly string[] = RECIPES.flatMap((recipe: AnyDefinition) => (recipe.firstFactor ? [recipe.firstFactor.id] : []));

/** Per recipe id: its options and `override` (functions and APIs), as the seeds take them; `session` for the session APIs. */
export type RecipeOptions = { [D in Definition as D["id"]]?: OptionsOf<D> & { override?: RecipeOverride<FunctionsOf<D>, ApisOf<D>> } } & {
  session?: { override?: RecipeOverride<Record<string, never>, SessionApis> };
  /** The account page (updateProfile, deleteAccount). */
  account?: { override?: RecipeOverride<Record<string, never>, AccountApis> };
};

export interface Recipes {
  /** Every factor the recipes registered (the AuthFactor enum's values). */
  factorIds: string[];
  functions: { [D in Definition as D["id"]]: FunctionsOf<D> };
  apis: { [D in Definition as D["id"]]: EnabledApis<ApisOf<D>> } & { session: EnabledApis<SessionApis>; account: EnabledApis<AccountApis> };
}

/** Builds each recipe's functions and APIs, with the embedder's overrides applied. */
export function createRecipes(deps: Deps, options: RecipeOptions = {}): Recipes {
  const functions: Record<string, unknown> = {};
  const apis: Record<string, unknown> = {};
  const others: OtherRecipes = {
    functions<T>(id: string): T {
      if (!(id in functions)) throw new Error(`recipe "${id}" must come before the recipes that use it in RECIPES`);
      return functions[id] as T;
    },
  };
  for (const recipe of RECIPES as readonly AnyDefinition[]) {
    const recipeOptions = ((options as Record<string, unknown>)[recipe.id] ?? {}) as { override?: RecipeOverride<unknown, unknown> };
    const built = applyOverride(
      (self) => recipe.functions(deps, self, recipeOptions),
      (final) => recipe.apis(deps, final, recipeOptions, others),
      recipeOptions.override,
    );
    functions[recipe.id] = built.functions;
    apis[recipe.id] = built.apis;
    deps.mfa.register(recipe.factors?.({ deps, functions: built.functions, apis: built.apis }) ?? []);
  }
  apis.session = applyOverride(
    () => ({}),
    () => createSessionApis(deps),
    options.session?.override,
  ).apis;
  apis.account = applyOverride(
    () => ({}),
    () => createAccountApis(deps),
    options.account?.override,
  ).apis;
  return { functions, apis, factorIds: deps.mfa.ids() } as unknown as Recipes;
}

/** A recipe's enabled APIs and final functions, for code that iterates over RECIPES. */
export const apisOf = (recipes: Recipes, recipe: AnyRecipe): EnabledApis<any> => (recipes.apis as unknown as Record<string, EnabledApis<any>>)[recipe.id]!;
export const functionsOf = (recipes: Recipes, recipe: AnyRecipe): unknown => (recipes.functions as unknown as Record<string, unknown>)[recipe.id];
