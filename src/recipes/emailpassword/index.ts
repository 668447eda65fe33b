/** Email and password (SuperTokens emailpassword, Nhost): sign-up, sign-in, verification, reset, email change. */
import type { RecipeSchemaContext } from "../../schema/recipe-schema.js";
import { defineRecipe } from "../definition.js";
import { createEmailPasswordApis, type EmailPasswordApis, type EmailPasswordOptions } from "./api.js";
import { registerEmailPasswordSchema } from "./schema.js";
import { createEmailPasswordFunctions, RECIPE_ID, type EmailPasswordFunctions } from "./service.js";

export const emailPasswordRecipe = defineRecipe<typeof RECIPE_ID, EmailPasswordFunctions, EmailPasswordApis, EmailPasswordOptions>({
  id: RECIPE_ID,
  firstFactor: { id: "emailpassword", offered: ({ apis }) => Boolean(apis.signInEmailPassword) },
  factors: ({ apis }) => [
    // A step-up proof only: a password is the first factor, never the second.
    { id: "password", secondFactor: false, stepUp: Boolean(apis.elevatePassword), isSetUp: async (user) => user.passwordHash !== null },
  ],
  functions: (deps, self) => createEmailPasswordFunctions(deps, self),
  apis: (deps, functions, options) => createEmailPasswordApis(deps, functions, options),
  schema: ({ builder, results, types }: RecipeSchemaContext, apis) => registerEmailPasswordSchema(builder, results, types, apis),
  links: {
    // As Nhost does: following a verification link also signs the user in.
    emailVerify: ({ verifyEmail }, { ticket, tenantId }, ctx) => verifyEmail?.({ token: ticket, tenantId, signIn: true }, ctx) ?? null,
    emailConfirmChange: ({ verifyEmail }, { ticket, tenantId }, ctx) => verifyEmail?.({ token: ticket, tenantId }, ctx) ?? null,
    // Recovery, then a fresh session in which the user chooses the new password (changePassword).
    passwordReset: ({ resetPassword }, { ticket, tenantId }, ctx) => resetPassword?.({ token: ticket, tenantId, newPassword: null }, ctx) ?? null,
  },
});
