/** Passwordless (SuperTokens passwordless, Nhost magic links and OTP): codes and links by email or SMS. */
import type { RecipeSchemaContext } from "../../schema/recipe-schema.js";
import { defineRecipe, type LinkOutcome } from "../definition.js";
import { createPasswordlessApis, type PasswordlessApis, type PasswordlessOptions } from "./api.js";
import { codeFactors } from "./factor-codes.js";
import { registerPasswordlessAuthConfig, registerPasswordlessSchema } from "./schema.js";
import { createPasswordlessFunctions, deleteAbandonedDevices, RECIPE_ID, type PasswordlessFunctions } from "./service.js";

export const passwordlessRecipe = defineRecipe<typeof RECIPE_ID, PasswordlessFunctions, PasswordlessApis, PasswordlessOptions>({
  id: RECIPE_ID,
  firstFactor: { id: "passwordless", offered: ({ apis }) => Boolean(apis.consumeCode) },
  factors: ({ apis }) => codeFactors(apis),
  functions: (deps, _self, options) => createPasswordlessFunctions(deps, options),
  apis: (deps, functions, options) => createPasswordlessApis(deps, functions, options),
  schema: ({ builder, results, types, AuthConfig, enums }: RecipeSchemaContext, apis) => {
    registerPasswordlessSchema(builder, results, types, enums, apis);
    registerPasswordlessAuthConfig(builder, AuthConfig, apis);
  },
  housekeeping: async (deps) => ({ devices: await deleteAbandonedDevices(deps) }),
  links: {
    signinPasswordless: ({ consumeCode }, { ticket, tenantId, query }, ctx) => {
      if (!consumeCode) return null;
      const preAuthSessionId = query.get("preAuthSessionId");
      if (!preAuthSessionId) return Promise.resolve({ status: "RESTART_FLOW_ERROR" as const });
      // A magic link signs in (it never links: that needs the flag and a session), so its OK answer carries a session.
      return consumeCode({ preAuthSessionId, linkCode: ticket, tenantId }, ctx).then((result) =>
        result.status === "OK" && "session" in result ? { ...result, session: (result.session as { refreshToken: string } | null) ?? undefined } : result,
      ) as Promise<LinkOutcome>;
    },
  },
});
