/** signInAnonymous and deanonymizeUser. */
import type { Builder } from "../../schema/builder.js";
import { tenantArg, tenantOf } from "../../schema/fields.js";
import type { Results } from "../../schema/result-types.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import type { SharedTypes } from "../../accounts/schema.js";
import type { UserRow } from "../../accounts/users.js";
import type { EnabledApis } from "../override.js";
import type { AnonymousApis } from "./api.js";

export function registerAnonymousSchema(builder: Builder, results: Results, types: SharedTypes, apis: EnabledApis<AnonymousApis>): void {
  if (apis.signInAnonymous) {
    const api = apis.signInAnonymous;
    const Ok = results.ok<{ user: UserRow; session: SessionWithUser }>("SignInAnonymousOk", (t) => types.signedIn(t));
    results.mutation("signInAnonymous", {
      metric: { signIn: "anonymous" },
      ok: Ok,
      errors: ["SIGN_UP_NOT_ALLOWED", "INVALID_INPUT_ERROR", "LIMIT_REACHED_ERROR"],
      description: "A session for a visitor without an account (ANONYMOUS_USERS=on); deanonymizeUser makes it permanent.",
      args: (arg) => ({
        displayName: arg.string({ required: false }),
        locale: arg.string({ required: false }),
        metadata: arg({ type: "JSON", required: false }),
        tenantId: tenantArg({ arg }),
      }),
      resolve: (args, ctx) => api({ ...args, tenantId: tenantOf(args) }, ctx),
    });
  }

  if (apis.deanonymizeUser) {
    const api = apis.deanonymizeUser;
    const Method = builder.enumType("DeanonymizeSignInMethod", { values: ["EMAIL_PASSWORD", "PASSWORDLESS"] as const });
    results.mutation("deanonymizeUser", {
      ok: results.ok("DeanonymizeUserOk"),
      errors: ["EMAIL_ALREADY_EXISTS_ERROR", "USER_NOT_ANONYMOUS_ERROR", "INVALID_INPUT_ERROR", "UNAUTHORISED"],
      description: "Makes the signed-in anonymous user permanent, keeping its id and data; a verification email follows.",
      args: (arg) => ({
        signInMethod: arg({ type: Method, required: true }),
        email: arg.string({ required: true }),
        password: arg.string({ required: false, description: "Required with EMAIL_PASSWORD." }),
        options: arg({ type: types.SignUpOptions, required: false }),
      }),
      resolve: (args, ctx) => api(args, ctx),
    });
  }
}
