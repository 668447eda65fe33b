/**
 * The redirect flow (Nhost's provider sign-in) as REST routes, over the same APIs
 * as the GraphQL fields: GET /signin/provider/:id starts it through
 * thirdPartyAuthorisationUrl (state, PKCE and nonce kept server-side) with this
 * server's callback as the redirect URI; GET or POST (form_post providers such as
 * Apple) /signin/provider/:id/callback finishes it through thirdPartyCallback and
 * lands on redirectTo with `refreshToken` (or `mfaTicket`, or `error`).
 */
import { badRequest, describeFailure, landing, readBody, redirect, sessionLanding } from "../../http.js";
import { DEFAULT_TENANT } from "../../tenants/tenants.js";
import { hostileValue } from "../../security/hostile-input.js";
import { isAllowedRedirect } from "../../validation.js";
import type { RecipeRoute } from "../definition.js";
import { providerCallbackUrl, type ThirdPartyApis } from "./api.js";

// Bodies of form_post callbacks are a few fields; anything longer is not a provider's.
const MAX_CALLBACK_BODY = 64 * 1024;

/**
 * The new user's profile from the sign-in URL, as Nhost's signInProviderURL
 * sends it: `allowedRoles` (comma-separated or repeated), `defaultRole`,
 * `displayName`, `locale`, and `metadata` as JSON. Checked like SignUpOptions;
 * metadata that is not JSON is passed on as a string, which the check refuses.
 */
function signUpOptionsOf(query: URLSearchParams) {
  const roles = query.getAll("allowedRoles").flatMap((value) =>
    value
      .split(",")
      .map((role) => role.trim())
      .filter(Boolean),
  );
  const metadata = query.get("metadata");
  let parsed: unknown = metadata ?? undefined;
  if (metadata !== null) {
    try {
      parsed = JSON.parse(metadata);
    } catch {
      // left as the string: "must be a JSON object"
    }
  }
  return {
    allowedRoles: roles.length > 0 ? roles : null,
    defaultRole: query.get("defaultRole"),
    displayName: query.get("displayName"),
    locale: query.get("locale"),
    metadata: parsed,
  };
}

export const providerRoutes: Array<RecipeRoute<ThirdPartyApis>> = [
  {
    methods: ["GET"],
    path: /^\/signin\/provider\/([^/]+)$/,
    async handle({ request, match, apis, deps, ctx }) {
      const providerId = decodeURIComponent(match[1]!);
      const query = new URL(request.url).searchParams;
      const redirectTo = query.get("redirectTo") ?? deps.config.clientUrl;
      if (!isAllowedRedirect(deps.config, redirectTo)) return badRequest("redirectTo is not an allowed redirect URL");
      if (!apis.thirdPartyAuthorisationUrl || !apis.thirdPartyCallback) return badRequest("provider sign-in is disabled");
      const started = await apis.thirdPartyAuthorisationUrl(
        {
          providerId,
          redirectURI: providerCallbackUrl(deps.config, providerId),
          tenantId: query.get("tenantId") ?? DEFAULT_TENANT,
          redirectTo,
          options: signUpOptionsOf(query),
          // The redirect flow is a browser's by definition: its state is bound to this browser by a cookie.
          bindBrowser: true,
        },
        ctx,
      );
      if (started.status !== "OK") return landing(redirectTo, { error: started.status, errorDescription: describeFailure(started) });
      return redirect(new URL(started.url as string));
    },
  },
  {
    methods: ["GET", "POST"],
    path: /^\/signin\/provider\/([^/]+)\/callback$/,
    async handle({ request, match, apis, deps, ctx }) {
      const providerId = decodeURIComponent(match[1]!);
      if (!apis.thirdPartyCallback) return badRequest("provider sign-in is disabled");
      let callback = new URL(request.url).searchParams; // checked with every route's query (routes.ts)
      if (request.method === "POST") {
        callback = new URLSearchParams(await readBody(request, MAX_CALLBACK_BODY));
        const hostile = hostileValue([...callback.entries()]);
        if (hostile) return badRequest(hostile);
      }
      const result = await apis.thirdPartyCallback({ providerId, callback }, ctx);
      const redirectTo = "redirectTo" in result && typeof result.redirectTo === "string" ? result.redirectTo : deps.config.clientUrl;
      if (result.status === "OK") return sessionLanding(deps.config, redirectTo, {}, (result as { session: { refreshToken: string } }).session.refreshToken);
      if (result.status === "MFA_REQUIRED") return landing(redirectTo, { mfaTicket: (result as { ticket: string }).ticket });
      if (result.status === "MFA_ENROLMENT_REQUIRED") return landing(redirectTo, { mfaEnrolmentTicket: (result as { ticket: string }).ticket });
      return landing(redirectTo, { error: result.status, errorDescription: describeFailure(result) });
    },
  },
];
