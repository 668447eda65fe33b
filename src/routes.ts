/** The REST routes beside /graphql: JWKS, health, version, and ticket links (/verify). */
import type { Plugin } from "graphql-yoga";
import { createContext, type Context } from "./context.js";
import { completeSignIn } from "./sessions/sign-in.js";
import { spendResetTicket } from "./recipes/emailpassword/service.js";
import type { Deps } from "./deps.js";
import type { Recipes } from "./recipes/apis.js";
import { ERROR_STATUSES, type ErrorStatus } from "./schema/results.js";
import { DEFAULT_TENANT } from "./tenants/tenants.js";
import { isAllowedRedirect } from "./validation.js";
import { parseSignUpOptions } from "./users/sign-up-options.js";
import { VERSION } from "./version.js";

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

export function routes(deps: Deps, recipes: Recipes): Plugin {
  const handlers: Record<string, (request: Request) => Promise<Response> | Response> = {
    "GET /verify": (request) => verifyTicket(deps, recipes, request),
    "GET /.well-known/jwks.json": async () => json(await deps.keys.jwks(), 200, { "cache-control": "public, max-age=300" }),
    "GET /version": () => json({ version: VERSION }),
    "GET /healthz": () => health(deps, false),
    "HEAD /healthz": () => health(deps, true),
  };
  return {
    async onRequest({ request, url, endResponse }) {
      const handler = handlers[`${request.method} ${url.pathname}`];
      if (handler) return endResponse(await handler(request));
      const provider = PROVIDER_ROUTE.exec(url.pathname);
      if (provider && (request.method === "GET" || (provider[2] && request.method === "POST"))) {
        endResponse(await (provider[2] ? providerCallback : providerSignIn)(deps, recipes, request, decodeURIComponent(provider[1]!)));
      }
    },
  };
}

async function health(deps: Deps, head: boolean): Promise<Response> {
  let ok = false;
  try {
    await Promise.race([
      deps.prisma.$queryRaw`SELECT 1`,
      new Promise((_, reject) => setTimeout(() => reject(new Error("database did not answer within 2 s")), 2000).unref()),
    ]);
    ok = true;
  } catch (error) {
    deps.logger.warn({ err: error }, "health check failed");
  }
  const status = ok ? 200 : 503;
  return head ? new Response(null, { status }) : json({ status: ok ? "ok" : "unavailable", database: ok }, status);
}

// GET /signin/provider/:id and GET|POST /signin/provider/:id/callback (POST for form_post providers like Apple).
const PROVIDER_ROUTE = /^\/signin\/provider\/([^/]+)(\/callback)?$/;

const badRequest = (error: string) => json({ error }, 400);

/** Where a redirect flow lands: the allow-listed redirectTo, with the outcome in the query. */
function landing(redirectTo: string, outcome: Record<string, string>): Response {
  const target = new URL(redirectTo);
  for (const [name, value] of Object.entries(outcome)) target.searchParams.set(name, value);
  return redirect(target);
}

/**
 * GET /signin/provider/:id?redirectTo=&tenantId=&displayName=&locale=: starts the
 * redirect flow (Nhost's provider sign-in): state, PKCE and nonce kept server-side,
 * then off to the provider, which returns to /signin/provider/:id/callback.
 */
async function providerSignIn(deps: Deps, recipes: Recipes, request: Request, providerId: string): Promise<Response> {
  const query = new URL(request.url).searchParams;
  const redirectTo = query.get("redirectTo") ?? deps.config.clientUrl;
  if (!isAllowedRedirect(deps.config, redirectTo)) return badRequest("redirectTo is not an allowed redirect URL");
  if (!recipes.apis.thirdparty.thirdPartyCallback) return badRequest("provider sign-in is disabled");
  const tenantId = query.get("tenantId") ?? DEFAULT_TENANT;
  const { profile, errors } = parseSignUpOptions(deps.config, { displayName: query.get("displayName"), locale: query.get("locale") });
  if (errors.length > 0 || !(await deps.tenants.exists(tenantId))) return landing(redirectTo, { error: "INVALID_INPUT_ERROR", errorDescription: "invalid request" });
  const started = await recipes.functions.thirdparty.getAuthorisationUrl({
    tenantId,
    providerId,
    redirectURI: `${deps.config.publicUrl}/signin/provider/${encodeURIComponent(providerId)}/callback`,
    data: { redirectTo, profile },
  });
  if (started.status !== "OK") return landing(redirectTo, { error: "INVALID_INPUT_ERROR", errorDescription: `unknown provider "${providerId.slice(0, 64)}"` });
  return redirect(new URL(started.url));
}

/** The provider's answer: signs in and lands on redirectTo with `refreshToken` (or `mfaTicket`, or `error`). */
async function providerCallback(deps: Deps, recipes: Recipes, request: Request, providerId: string): Promise<Response> {
  const callback =
    request.method === "POST" ? new URLSearchParams((await request.text().catch(() => "")).slice(0, 64 * 1024)) : new URL(request.url).searchParams;
  const api = recipes.apis.thirdparty.thirdPartyCallback;
  if (!api) return badRequest("provider sign-in is disabled");
  const ctx = createContext(deps, { request } as never);
  const result = await api({ providerId, callback }, ctx);
  const redirectTo = "redirectTo" in result && typeof result.redirectTo === "string" ? result.redirectTo : deps.config.clientUrl;
  if (result.status === "OK") return landing(redirectTo, { refreshToken: (result as { session: { refreshToken: string } }).session.refreshToken });
  if (result.status === "MFA_REQUIRED") return landing(redirectTo, { mfaTicket: (result as { ticket: string }).ticket });
  const description = typeof result.message === "string" ? result.message : "reason" in result ? String(result.reason) : ERROR_STATUSES[result.status].message;
  return landing(redirectTo, { error: result.status, errorDescription: description });
}

const redirect = (location: URL) => new Response(null, { status: 302, headers: { location: location.toString(), "cache-control": "no-store" } });

/**
 * GET /verify?type=&ticket=&redirectTo=: spends an emailed ticket and redirects
 * to the allow-listed redirectTo with the outcome in the query, as Nhost does:
 * `refreshToken` and `type` on success, `mfaTicket` when a second factor is
 * needed, `error` and `errorDescription` otherwise.
 * Handles `signinPasswordless`, `emailVerify` and `passwordReset` (each signs the
 * user in) and `emailConfirmChange`.
 */
async function verifyTicket(deps: Deps, recipes: Recipes, request: Request): Promise<Response> {
  const query = new URL(request.url).searchParams;
  const redirectTo = query.get("redirectTo") ?? deps.config.clientUrl;
  if (!isAllowedRedirect(deps.config, redirectTo)) return badRequest("redirectTo is not an allowed redirect URL");
  const fail = (error: ErrorStatus | "INVALID_REQUEST", description: string, outcome: Record<string, string> = {}) =>
    landing(redirectTo, { ...outcome, error, errorDescription: description });
  const type = query.get("type");
  const ticket = query.get("ticket");
  const tenantId = query.get("tenantId") ?? DEFAULT_TENANT;
  if (!ticket) return fail("INVALID_REQUEST", "ticket is required");
  const ctx = createContext(deps, { request } as never);
  const result = await spendTicket(deps, recipes, ctx, { type, ticket, tenantId, preAuthSessionId: query.get("preAuthSessionId") });
  if (!result) return fail("INVALID_REQUEST", `unsupported ticket type "${String(type).slice(0, 40)}"`);
  const spent = { type: type! };
  // The frontend finishes an MFA_REQUIRED with verifySignInMfaTotp(ticket: mfaTicket, totp).
  if (result.status === "MFA_REQUIRED") return landing(redirectTo, { ...spent, mfaTicket: result.ticket });
  if (result.status === "SIGNED_OUT") return landing(redirectTo, spent); // an email change: nothing more to hand over
  if (result.status !== "OK") {
    return fail(result.status, result.status === "INVALID_INPUT_ERROR" ? "invalid request" : ERROR_STATUSES[result.status].message, spent);
  }
  return landing(redirectTo, { ...spent, refreshToken: result.session.refreshToken });
}

type Spent =
  | { status: "OK"; session: { refreshToken: string } }
  | { status: "MFA_REQUIRED"; ticket: string }
  | { status: "SIGNED_OUT" }
  | { status: ErrorStatus };

/** Spends the ticket of `type`; null for a type this route does not know (or whose API is disabled). */
async function spendTicket(
  deps: Deps,
  recipes: Recipes,
  ctx: Context,
  { type, ticket, tenantId, preAuthSessionId }: { type: string | null; ticket: string; tenantId: string; preAuthSessionId: string | null },
): Promise<Spent | null> {
  const { consumeCode } = recipes.apis.passwordless;
  const { verifyEmail } = recipes.apis.emailpassword;
  switch (type) {
    case "signinPasswordless":
      if (!consumeCode) return null;
      if (!preAuthSessionId) return { status: "RESTART_FLOW_ERROR" };
      return (await consumeCode({ preAuthSessionId, linkCode: ticket, tenantId }, ctx)) as Spent;
    case "emailVerify": {
      if (!verifyEmail) return null;
      const verified = await verifyEmail({ token: ticket, tenantId }, ctx);
      // As Nhost does: following the link also signs the user in.
      if (verified.status !== "OK") return verified as Spent;
      return completeSignIn(deps, verified.user, ctx.meta, "emailVerify") as Promise<Spent>;
    }
    case "emailConfirmChange": {
      if (!verifyEmail) return null;
      const changed = await verifyEmail({ token: ticket, tenantId }, ctx);
      return changed.status === "OK" ? { status: "SIGNED_OUT" } : (changed as Spent);
    }
    case "passwordReset": {
      const user = await spendResetTicket(deps, ticket, tenantId);
      if (!user) return { status: "RESET_PASSWORD_INVALID_TOKEN_ERROR" };
      // The link proves the address; the new session is fresh enough for changePassword.
      await deps.sessions.revokeAll(user.id, "password_reset");
      await recipes.functions.emailpassword.updateEmailOrPassword({ userId: user.id, emailVerified: true });
      return completeSignIn(deps, { ...user, emailVerified: true }, ctx.meta, "passwordReset") as Promise<Spent>;
    }
    default:
      return null;
  }
}
