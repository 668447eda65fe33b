/** What each personal-access-token GraphQL field does, as overridable functions returning status values. */
import type { Context } from "../../context.js";
import { accountHolder, elevationRequired, isElevated } from "../../context.js";
import type { Deps } from "../../deps.js";
import type { ApiResult } from "../../results.js";
import { completeSignIn, type SessionWithUser } from "../../sessions/sign-in.js";
import { isTextJson, invalid } from "../../validation.js";
import { allowsFactor } from "../../tenants/check.js";
import type { PatFunctions, PersonalAccessTokenInfo } from "./service.js";

export interface PatApis {
  createPersonalAccessToken(input: { expiresAt: Date; metadata?: unknown }, ctx: Context): ApiResult<{ id: string; personalAccessToken: string }>;
  signInPersonalAccessToken(input: { personalAccessToken: string }, ctx: Context): ApiResult<{ session: SessionWithUser }>;
  personalAccessTokens(input: object, ctx: Context): Promise<PersonalAccessTokenInfo[] | null>;
  revokePersonalAccessToken(input: { id: string }, ctx: Context): ApiResult<{ didExist: boolean }>;
}

// A token outliving a year is a forgotten credential.
const MAX_LIFETIME_DAYS = 366;
const MAX_METADATA_BYTES = 4 * 1024;

export function createPatApis(deps: Deps, functions: PatFunctions): PatApis {
  return {
    async createPersonalAccessToken({ expiresAt, metadata }, ctx) {
      const viewer = await accountHolder(ctx);
      if ("status" in viewer) return viewer;
      const now = deps.clock.now().getTime();
      const meta = metadata ?? {};
      const bad = invalid(
        expiresAt.getTime() <= now || expiresAt.getTime() > now + MAX_LIFETIME_DAYS * 86_400_000
          ? { id: "expiresAt", error: `must be in the future and within ${MAX_LIFETIME_DAYS} days` }
          : null,
        typeof meta !== "object" || meta === null || Array.isArray(meta) || !isTextJson(meta) || JSON.stringify(meta).length > MAX_METADATA_BYTES
          ? { id: "metadata", error: `must be a JSON object of at most ${MAX_METADATA_BYTES} bytes` }
          : null,
      );
      if (bad) return bad;
      if (!isElevated(deps, viewer)) return elevationRequired(deps, viewer);
      return functions.create({ user: viewer.user, expiresAt, metadata: meta as Record<string, unknown> });
    },

    async signInPersonalAccessToken({ personalAccessToken }, ctx) {
      // Each sign-in opens a session: limited per token (valid or not, so guessing is limited too).
      const limited = await deps.sendLimits.tokenSignIn(personalAccessToken);
      if (limited) return limited;
      const user = await functions.userFor({ personalAccessToken });
      if (!user || !(await allowsFactor(deps, user.tenantId, "personalAccessToken"))) return { status: "INVALID_PERSONAL_ACCESS_TOKEN_ERROR" };
      // The token was made from an elevated (multi-factor) session: it stands for both factors.
      const signedIn = await completeSignIn(deps, user, ctx.meta, "personalAccessToken", { secondFactorPassed: true });
      return signedIn.status === "OK" ? { status: "OK", session: signedIn.session } : { status: "INVALID_PERSONAL_ACCESS_TOKEN_ERROR" };
    },

    async personalAccessTokens(_, ctx) {
      const viewer = await ctx.viewer();
      return viewer ? functions.list({ userId: viewer.user.id }) : null;
    },

    async revokePersonalAccessToken({ id }, ctx) {
      const viewer = await ctx.viewer();
      if (!viewer) return { status: "UNAUTHORISED" };
      return functions.revoke({ userId: viewer.user.id, id });
    },
  };
}
