/**
 * Overrides, as the SuperTokens seeds do them: a recipe's functions (data-level
 * operations) and APIs (what each GraphQL field does) are objects; an override
 * receives the original object and returns a new one, usually spreading the
 * original and replacing a few members. An API set to `undefined` or `false`
 * is disabled: its GraphQL field leaves the schema.
 */
export type Disableable<A> = { [K in keyof A]: A[K] | undefined | false };

export interface RecipeOverride<F, A> {
  functions?: (original: F) => F;
  apis?: (original: A) => Disableable<A>;
}

export type EnabledApis<A> = { [K in keyof A]?: A[K] };

/**
 * `createFunctions` receives `self`, which answers the final (overridden)
 * function object: a recipe calls its own functions through it, so an override
 * is honoured wherever the recipe calls itself (SuperTokens' `this: RecipeInterface`).
 */
export function applyOverride<F, A>(
  createFunctions: (self: () => F) => F,
  createApis: (functions: F) => A,
  override: RecipeOverride<F, A> | undefined,
): { functions: F; apis: EnabledApis<A> } {
  let finalFunctions: F | undefined;
  const functions = createFunctions(() => finalFunctions!);
  finalFunctions = override?.functions ? override.functions(functions) : functions;
  const apis = createApis(finalFunctions);
  const finalApis = override?.apis ? override.apis(apis) : apis;
  const enabled = Object.fromEntries(Object.entries(finalApis as object).filter(([, api]) => typeof api === "function"));
  return { functions: finalFunctions, apis: enabled as EnabledApis<A> };
}
