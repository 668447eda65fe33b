/**
 * The account page's own operations, as overridable functions returning status
 * values (`recipes.account.override`): the signed-in user edits their profile
 * and deletes their account. Provider identities are unlinked by the thirdparty
 * recipe; every write goes through the accounts core.
 */
import { accountHolder, elevationRequired, isElevated, type Context } from "../context.js";
import type { Deps } from "../deps.js";
import type { ApiResult } from "../results.js";
import { clearedRefreshCookie, queueCookie } from "../sessions/cookies.js";
import { checkProfile, type ProfileInput } from "./profile.js";
import type { UserRow } from "./users.js";

export interface AccountApis {
  /** Sets the given profile fields (left out: unchanged; `metadata` replaces the object). */
  updateProfile(input: ProfileInput, ctx: Context): ApiResult<{ user: UserRow }>;
  /**
   * Elevated: deletes the signed-in user. Sessions, personal access tokens,
   * tickets, credentials, devices and provider tokens go with the account;
   * the audit log keeps its events (and the deletion, with the address).
   */
  deleteAccount(input: object, ctx: Context): ApiResult<object>;
}

export function createAccountApis(deps: Deps): AccountApis {
  return {
    async updateProfile(input, ctx) {
      const viewer = await ctx.viewer();
      if (!viewer) return { status: "UNAUTHORISED" };
      const { errors, values } = checkProfile(input);
      if (errors.length > 0) return { status: "INVALID_INPUT_ERROR", fieldErrors: errors };
      if (Object.keys(values).length === 0) return { status: "OK", user: viewer.user };
      const updated = await deps.accounts.update(viewer.user, values, ctx.meta, { type: "user.profile_updated", data: { fields: Object.keys(values) } });
      // Profile fields hold no unique values: TAKEN cannot happen here.
      return { status: "OK", user: updated === "TAKEN" ? viewer.user : updated };
    },

    async deleteAccount(_, ctx) {
      const viewer = await accountHolder(ctx);
      if ("status" in viewer) return viewer;
      if (!isElevated(deps, viewer)) return elevationRequired(deps, viewer);
      await deps.accounts.delete(viewer.user, ctx.meta, "user.deleted");
      if (deps.config.sessionCookies) queueCookie(ctx.request, clearedRefreshCookie(deps.config));
      return { status: "OK" };
    },
  };
}
