/** WebAuthn passkeys and security keys (Nhost WebAuthn): sign-up, sign-in, keys, step-up. */
import type { RecipeSchemaContext } from "../../schema/recipe-schema.js";
import { defineRecipe } from "../definition.js";
import type { EmailPasswordFunctions } from "../emailpassword/service.js";
import { createWebauthnApis, type WebauthnApis, type WebauthnOptions } from "./api.js";
import { registerWebauthnSchema } from "./schema.js";
import { createWebauthnFunctions, deleteExpiredChallenges, RECIPE_ID, type WebauthnFunctions } from "./service.js";

export const webauthnRecipe = defineRecipe<typeof RECIPE_ID, WebauthnFunctions, WebauthnApis, WebauthnOptions>({
  id: RECIPE_ID,
  firstFactor: { id: "webauthn", offered: ({ apis }) => Boolean(apis.webauthnSignIn) },
  factors: ({ deps, functions, apis }) => [
    {
      id: "webauthn",
      secondFactor: Boolean(apis.verifySignInMfaWebauthnOptions && apis.verifySignInMfaWebauthn),
      stepUp: Boolean(apis.elevateWebauthnOptions && apis.elevateWebauthn),
      strong: true,
      // A passkey after a passkey is the same factor twice.
      sameChannelAs: (first) => first.method === RECIPE_ID,
      isSetUp: async (user, before) => (await functions.listCredentials({ userId: user.id })).some((key) => !before || key.createdAt <= before),
      async reset(user) {
        const keys = await functions.listCredentials({ userId: user.id });
        for (const key of keys) await functions.removeCredential({ userId: user.id, id: key.id });
        if (keys.length > 0) await deps.accounts.removeLoginMethod(user, RECIPE_ID);
        return keys.length;
      },
    },
  ],
  functions: (deps) => createWebauthnFunctions(deps),
  apis: (deps, functions, options, others) => createWebauthnApis(deps, functions, others.functions<EmailPasswordFunctions>("emailpassword"), options),
  housekeeping: async (deps) => ({ challenges: await deleteExpiredChallenges(deps) }),
  schema: ({ builder, results, types }: RecipeSchemaContext, apis) => registerWebauthnSchema(builder, results, types, apis),
});
