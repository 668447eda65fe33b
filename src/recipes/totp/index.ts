/** TOTP devices and recovery codes: the second factor of multi-factor sign-in (SuperTokens totp, Nhost MFA). */
import type { Factor } from "../../mfa/registry.js";
import type { RecipeSchemaContext } from "../../schema/recipe-schema.js";
import { defineRecipe } from "../definition.js";
import { createTotpApis, type TotpApis } from "./api.js";
import { createRecoveryCodes } from "./recovery-codes.js";
import { registerTotpSchema } from "./schema.js";
import { createTotpFunctions, type TotpFunctions, verifiedDeviceExists } from "./service.js";

export const totpRecipe = defineRecipe<"totp", TotpFunctions, TotpApis>({
  id: "totp",
  factors: ({ deps, functions, apis }) => {
    const factors: Factor[] = [];
    if (apis.verifySignInMfaTotp) {
      factors.push({
        id: "totp",
        secondFactor: true,
        stepUp: Boolean(apis.verifyTotp),
        // A verified device turns multi-factor sign-in on (Nhost's "activate MFA").
        turnsMfaOn: true,
        strong: true,
        enrolable: Boolean(apis.createTotpDevice && apis.verifyTotpDevice),
        isSetUp: (user, before) => functions.hasVerifiedDevice({ userId: user.id, enrolledBefore: before }),
        setUpSql: (userId) => verifiedDeviceExists(userId),
        reset: (user) => functions.removeAllDevices({ userId: user.id }),
      });
    }
    if (apis.verifySignInMfaRecoveryCode) {
      const recoveryCodes = createRecoveryCodes(deps);
      factors.push({
        id: "recoveryCode",
        secondFactor: true,
        stepUp: false,
        isSetUp: async (user) => (await recoveryCodes.remaining(user.id)) > 0,
        reset: (user) => recoveryCodes.removeAll(user.id),
      });
    }
    return factors;
  },
  functions: (deps) => createTotpFunctions(deps),
  apis: (deps, functions) => createTotpApis(deps, functions),
  schema: ({ builder, results, types }: RecipeSchemaContext, apis) => registerTotpSchema(builder, results, types, apis),
});
