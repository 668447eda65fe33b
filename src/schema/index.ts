/** Builds the executable schema from the enabled recipe APIs. */
import type { GraphQLSchema } from "graphql";
import { registerEmailPasswordSchema } from "../recipes/emailpassword/schema.js";
import type { Recipes } from "../recipes/apis.js";
import { registerSessionSchema } from "../sessions/schema.js";
import { registerPasswordlessSchema } from "../recipes/passwordless/schema.js";
import { registerTotpSchema } from "../recipes/totp/schema.js";
import { registerPatSchema } from "../recipes/pat/schema.js";
import { registerAnonymousSchema } from "../recipes/anonymous/schema.js";
import { registerWebauthnSchema } from "../recipes/webauthn/schema.js";
import { registerThirdPartySchema } from "../recipes/thirdparty/schema.js";
import { registerUserTypes } from "../accounts/schema.js";
import { createBuilder } from "./builder.js";
import { registerResultTypes } from "./result-types.js";
import { registerScalars } from "./scalars.js";
import { VERSION } from "../version.js";
import type { Config } from "../config.js";
import { registerAuthConfig } from "./auth-config.js";
import { registerAdminSchema } from "../admin/schema.js";
import { defineAuditEvent, registerSecurityEvents } from "../security/events.js";
import type { AdminApis } from "../admin/service.js";

/** The public schema; with `admin`, the admin schema (the same plus the admin fields). */
export function buildSchema(recipes: Recipes, config: Config, admin?: AdminApis): GraphQLSchema {
  const builder = createBuilder();
  registerScalars(builder);
  const results = registerResultTypes(builder);
  builder.queryType({});
  builder.mutationType({});
  builder.queryField("version", (t) => t.string({ description: "The server's package version.", resolve: () => VERSION }));
  const types = registerUserTypes(builder);
  registerSessionSchema(builder, results, types, recipes.apis.session);
  registerEmailPasswordSchema(builder, results, types, recipes.apis.emailpassword);
  registerPasswordlessSchema(builder, results, types, recipes.apis.passwordless);
  registerTotpSchema(builder, results, types, recipes.apis.totp);
  registerPatSchema(builder, results, types, recipes.apis.pat);
  registerAnonymousSchema(builder, results, types, recipes.apis.anonymous);
  registerWebauthnSchema(builder, results, types, recipes.apis.webauthn);
  const ThirdPartyProvider = registerThirdPartySchema(builder, results, types, recipes.apis.thirdparty);
  registerAuthConfig(builder, config, recipes, ThirdPartyProvider);
  const AuditEvent = defineAuditEvent(builder);
  registerSecurityEvents(builder, AuditEvent);
  if (admin) registerAdminSchema(builder, results, types, AuditEvent, admin);
  return builder.toSchema({ sortSchema: true });
}
