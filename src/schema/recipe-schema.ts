/** What the schema layer hands each recipe's schema.ts: the builder, the result conventions and the shared types. */
import type { SharedTypes } from "../accounts/schema.js";
import type { AuthConfigRef } from "./auth-config.js";
import type { Builder } from "./builder.js";
import type { Results } from "./result-types.js";
import type { FactorEnums } from "./enums.js";

export interface RecipeSchemaContext {
  builder: Builder;
  results: Results;
  types: SharedTypes;
  /** authConfig's type: a recipe adds the fields a login screen needs of it. */
  AuthConfig: AuthConfigRef;
  /** The factor enums (AuthFactor, FirstFactor). */
  enums: FactorEnums;
}
