/** signInAnonymous and deanonymizeUser. */
import type { Builder } from "../../schema/builder.js";
import { tenantArg, tenantOf } from "../../schema/fields.js";
import type { Results } from "../../schema/result-types.js";
import { toResult } from "../../schema/results.js";
import type { SessionWithUser } from "../../sessions/sign-in.js";
import type { SharedTypes } from "../../users/schema.js";
import type { UserRow } from "../../users/users.js";
import type { EnabledApis } from "../override.js";
import type { AnonymousApis } from "./api.js";

export function registerAnonymousSchema(builder: Builder, results: Results, types: SharedTypes, apis: EnabledApis<AnonymousApis>): void {
  if (apis.signInAnonymous) {
    const api = apis.signInAnonymous;
    const Ok = results.ok<{ user: UserRow; session: SessionWithUser }>("SignInAnonymousOk", (t) => types.signedIn(t));
    const Result = results.union("SignInAnonymousResult", Ok, ["SIGN_UP_NOT_ALLOWED", "INVALID_INPUT_ERROR"]);
    builder.mutationField("signInAnonymous", (t) =>
      t.field({
        type: Result,
        description: "A session for a visitor without an account (ANONYMOUS_USERS=on); deanonymizeUser makes it permanent.",
        args: {
          displayName: t.arg.string({ required: false }),
          locale: t.arg.string({ required: false }),
          metadata: t.arg({ type: "JSON", required: false }),
          tenantId: tenantArg(t),
        },
        resolve: async (_, args, ctx) => toResult(await api({ ...args, tenantId: tenantOf(args) }, ctx)) as never,
      }),
    );
  }

  if (apis.deanonymizeUser) {
    const api = apis.deanonymizeUser;
    const Method = builder.enumType("DeanonymizeSignInMethod", { values: ["EMAIL_PASSWORD", "PASSWORDLESS"] as const });
    const Result = results.union("DeanonymizeUserResult", results.ok("DeanonymizeUserOk"), [
      "EMAIL_ALREADY_EXISTS_ERROR",
      "USER_NOT_ANONYMOUS_ERROR",
      "INVALID_INPUT_ERROR",
      "UNAUTHORISED",
    ]);
    builder.mutationField("deanonymizeUser", (t) =>
      t.field({
        type: Result,
        description: "Makes the signed-in anonymous user permanent, keeping its id and data; a verification email follows.",
        args: {
          signInMethod: t.arg({ type: Method, required: true }),
          email: t.arg.string({ required: true }),
          password: t.arg.string({ required: false, description: "Required with EMAIL_PASSWORD." }),
          options: t.arg({ type: types.SignUpOptions, required: false }),
        },
        resolve: async (_, args, ctx) => toResult(await api(args, ctx)) as never,
      }),
    );
  }
}
