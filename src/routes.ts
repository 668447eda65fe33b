/**
 * The REST routes beside /graphql: JWKS, health, version, ticket links (/verify)
 * and the provider redirect flow (/signin/provider/*). The flows call the same
 * recipe APIs as the GraphQL fields, with the request's own context (client IP,
 * user agent), so disabled APIs, tenant policy, MFA, limits and audit apply alike.
 */
import type { Plugin } from "graphql-yoga";
import type { IncomingMessage } from "node:http";
import { createContext, type Context } from "./context.js";
import type { Deps } from "./deps.js";
import type { Recipes } from "./recipes/apis.js";
import { ERROR_STATUSES, type ErrorStatus } from "./results.js";
import { DEFAULT_TENANT } from "./tenants/tenants.js";
import { isAllowedRedirect } from "./validation.js";
import { VERSION } from "./version.js";

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

type Handler = (request: Request, ctx: () => Context) => Promise<Response> | Response;

export function routes(deps: Deps, recipes: Recipes): Plugin {
  const handlers: Record<string, Handler> = {
    "GET /verify": (request, ctx) => verifyTicket(deps, recipes, request, ctx()),
    "GET /.well-known/jwks.json": async () => json(await deps.keys.jwks(), 200, { "cache-control": "public, max-age=300" }),
    "GET /version": () => json({ version: VERSION }),
    "GET /healthz": () => health(deps, false),
    "HEAD /healthz": () => health(deps, true),
  };
  return {
    async onRequest({ request, url, endResponse, serverContext }) {
      // The same context a GraphQL request gets: the node request carries the client's address.
      const ctx = () => createContext(deps, { request, req: (serverContext as { req?: IncomingMessage } | undefined)?.req } as never);
      const handler = handlers[`${request.method} ${url.pathname}`];
      if (handler) return endResponse(await handler(request, ctx));
      const provider = PROVIDER_ROUTE.exec(url.pathname);
      if (provider && (request.method === "GET" || (provider[2] && request.method === "POST"))) {
        endResponse(await (provider[2] ? providerCallback : providerSignIn)(deps, recipes, request, decodeURIComponent(provider[1]!), ctx()));
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
 * redirect flow (Nhost's provider sign-in) through thirdPartyAuthorisationUrl, with
 * this server's callback as the redirect URI; then off to the provider, which
 * returns to /signin/provider/:id/callback.
 */
async function providerSignIn(deps: Deps, recipes: Recipes, request: Request, providerId: string, ctx: Context): Promise<Response> {
  const query = new URL(request.url).searchParams;
  const redirectTo = query.get("redirectTo") ?? deps.config.clientUrl;
  if (!isAllowedRedirect(deps.config, redirectTo)) return badRequest("redirectTo is not an allowed redirect URL");
  const api = recipes.apis.thirdparty.thirdPartyAuthorisationUrl;
  if (!api || !recipes.apis.thirdparty.thirdPartyCallback) return badRequest("provider sign-in is disabled");
  const started = await api(
    {
      providerId,
      redirectURI: providerCallbackUrl(deps, providerId),
      tenantId: query.get("tenantId") ?? DEFAULT_TENANT,
      redirectTo,
      options: { displayName: query.get("displayName"), locale: query.get("locale") },
    },
    ctx,
  );
  if (started.status !== "OK") return landing(redirectTo, { error: started.status, errorDescription: describe(started) });
  return redirect(new URL(started.url as string));
}

/** The redirect URI of the redirect flow: this server's callback route for the provider. */
export const providerCallbackUrl = (deps: Deps, providerId: string) => `${deps.config.publicUrl}/signin/provider/${encodeURIComponent(providerId)}/callback`;

/** The provider's answer: signs in and lands on redirectTo with `refreshToken` (or `mfaTicket`, or `error`). */
async function providerCallback(deps: Deps, recipes: Recipes, request: Request, providerId: string, ctx: Context): Promise<Response> {
  const callback =
    request.method === "POST" ? new URLSearchParams((await request.text().catch(() => "")).slice(0, 64 * 1024)) : new URL(request.url).searchParams;
  const api = recipes.apis.thirdparty.thirdPartyCallback;
  if (!api) return badRequest("provider sign-in is disabled");
  const result = await api({ providerId, callback }, ctx);
  const redirectTo = "redirectTo" in result && typeof result.redirectTo === "string" ? result.redirectTo : deps.config.clientUrl;
  if (result.status === "OK") return landing(redirectTo, { refreshToken: (result as { session: { refreshToken: string } }).session.refreshToken });
  if (result.status === "MFA_REQUIRED") return landing(redirectTo, { mfaTicket: (result as { ticket: string }).ticket });
  return landing(redirectTo, { error: result.status, errorDescription: describe(result) });
}

/** A failure's text for the landing page: its message or reason, else its status's default message. */
function describe(result: { status: ErrorStatus; message?: unknown; reason?: unknown }): string {
  if (result.status === "INVALID_INPUT_ERROR") return "invalid request";
  if (typeof result.message === "string") return result.message;
  return typeof result.reason === "string" ? result.reason : ERROR_STATUSES[result.status].message;
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
async function verifyTicket(deps: Deps, recipes: Recipes, request: Request, ctx: Context): Promise<Response> {
  const query = new URL(request.url).searchParams;
  const redirectTo = query.get("redirectTo") ?? deps.config.clientUrl;
  if (!isAllowedRedirect(deps.config, redirectTo)) return badRequest("redirectTo is not an allowed redirect URL");
  const fail = (error: ErrorStatus | "INVALID_REQUEST", description: string, outcome: Record<string, string> = {}) =>
    landing(redirectTo, { ...outcome, error, errorDescription: description });
  const type = query.get("type");
  const ticket = query.get("ticket");
  const tenantId = query.get("tenantId") ?? DEFAULT_TENANT;
  if (!ticket) return fail("INVALID_REQUEST", "ticket is required");
  const result = await spendTicket(recipes, ctx, { type, ticket, tenantId, preAuthSessionId: query.get("preAuthSessionId") });
  if (!result) return fail("INVALID_REQUEST", `unsupported ticket type "${String(type).slice(0, 40)}"`);
  const spent = { type: type! };
  // The frontend finishes an MFA_REQUIRED with verifySignInMfaTotp(ticket: mfaTicket, totp).
  if (result.status === "MFA_REQUIRED") return landing(redirectTo, { ...spent, mfaTicket: result.ticket });
  if (result.status !== "OK") return fail(result.status, describe(result), spent);
  const { session } = result;
  // Without a session (an email change, or a tenant that offers no sign-in by address) the link only confirms.
  return landing(redirectTo, session ? { ...spent, refreshToken: session.refreshToken } : spent);
}

type Spent =
  | { status: "OK"; session?: { refreshToken: string } }
  | { status: "MFA_REQUIRED"; ticket: string }
  | { status: ErrorStatus; message?: unknown; reason?: unknown };

/** Spends the ticket of `type` through its API; null for a type this route does not know (or whose API is disabled). */
async function spendTicket(
  recipes: Recipes,
  ctx: Context,
  { type, ticket, tenantId, preAuthSessionId }: { type: string | null; ticket: string; tenantId: string; preAuthSessionId: string | null },
): Promise<Spent | null> {
  const { consumeCode } = recipes.apis.passwordless;
  const { verifyEmail, resetPassword } = recipes.apis.emailpassword;
  switch (type) {
    case "signinPasswordless":
      if (!consumeCode) return null;
      if (!preAuthSessionId) return { status: "RESTART_FLOW_ERROR" };
      return (await consumeCode({ preAuthSessionId, linkCode: ticket, tenantId }, ctx)) as Spent;
    case "emailVerify":
    case "emailConfirmChange":
      // As Nhost does: following a verification link also signs the user in.
      return verifyEmail ? ((await verifyEmail({ token: ticket, tenantId, signIn: type === "emailVerify" }, ctx)) as Spent) : null;
    case "passwordReset":
      // Recovery, then a fresh session in which the user chooses the new password (changePassword).
      return resetPassword ? ((await resetPassword({ token: ticket, tenantId, newPassword: null }, ctx)) as Spent) : null;
    default:
      return null;
  }
}
