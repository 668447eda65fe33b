/** Builds each recipe's functions and APIs, with the embedder's overrides applied. */
import type { Deps } from "../deps.js";
import { createSessionApis, type SessionApis } from "../sessions/api.js";
import { createEmailPasswordApis, type EmailPasswordApis, type EmailPasswordOptions } from "./emailpassword/api.js";
import { createEmailPasswordFunctions, type EmailPasswordFunctions } from "./emailpassword/service.js";
import { applyOverride, type EnabledApis, type RecipeOverride } from "./override.js";

export interface RecipeOptions {
  emailpassword?: EmailPasswordOptions & { override?: RecipeOverride<EmailPasswordFunctions, EmailPasswordApis> };
  session?: { override?: RecipeOverride<Record<string, never>, SessionApis> };
}

export interface Recipes {
  functions: { emailpassword: EmailPasswordFunctions };
  apis: { session: EnabledApis<SessionApis>; emailpassword: EnabledApis<EmailPasswordApis> };
}

export function createRecipes(deps: Deps, options: RecipeOptions = {}): Recipes {
  const emailpassword = applyOverride(
    createEmailPasswordFunctions(deps),
    (functions) => createEmailPasswordApis(deps, functions, options.emailpassword),
    options.emailpassword?.override,
  );
  const session = applyOverride({}, () => createSessionApis(deps), options.session?.override);
  return {
    functions: { emailpassword: emailpassword.functions },
    apis: { session: session.apis, emailpassword: emailpassword.apis },
  };
}
